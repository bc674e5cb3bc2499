using System.Text.Json;

namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// Parses and validates the JSON header of one safetensors file. Everything in the header is treated as hostile:
/// offsets, shapes and dtypes are checked against each other and against the real size of the data section before
/// any <see cref="SafetensorsTensorInfo"/> is handed out, so later reads can trust the ranges.
/// </summary>
/// <remarks>
/// A forward-only <see cref="Utf8JsonReader"/> is used instead of deserializing into a dictionary because
/// System.Text.Json silently keeps the last of two equal keys; a duplicated tensor name must be an error.
/// </remarks>
internal static class SafetensorsHeaderParser
{
    /// <summary>The key under which a header stores its string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Parsed header: tensors in header order, and the metadata map (empty when absent).</summary>
    public readonly record struct Result(
        Dictionary<string, SafetensorsTensorInfo> Tensors,
        Dictionary<string, string> Metadata);

    /// <summary>Parses <paramref name="json"/>, the header of <paramref name="filePath"/>.</summary>
    /// <param name="json">Header bytes (UTF-8 JSON, possibly padded with trailing spaces).</param>
    /// <param name="filePath">File named in errors and stored in each tensor's info.</param>
    /// <param name="dataSectionOffset">Absolute offset of the data section: 8 + header length.</param>
    /// <param name="dataSectionLength">Bytes from the data section's start to the end of the file.</param>
    /// <exception cref="SafetensorsFormatException">The header is malformed or inconsistent with the file.</exception>
    public static Result Parse(ReadOnlySpan<byte> json, string filePath, long dataSectionOffset, long dataSectionLength)
    {
        var tensors = new Dictionary<string, SafetensorsTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seenKeys = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = 16,
        });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw Fail(filePath, null, "the header is not a JSON object.");
            while (true)
            {
                Next(ref reader, filePath, current);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                current = reader.GetString()!;
                if (!seenKeys.Add(current))
                {
                    throw current == MetadataKey
                        ? Fail(filePath, null, $"the header has two '{MetadataKey}' entries.")
                        : Fail(filePath, current, "the name appears twice in the header.");
                }
                Next(ref reader, filePath, current);
                if (current == MetadataKey)
                {
                    ReadMetadata(ref reader, filePath, metadata);
                    current = null;
                    continue;
                }
                tensors.Add(current, ReadEntry(ref reader, filePath, current, dataSectionOffset, dataSectionLength));
                current = null;
            }
            // With isFinalBlock the reader returns false on trailing whitespace (the padding) and throws on anything else.
            if (reader.Read())
                throw Fail(filePath, null, "the header has content after its closing brace.");
        }
        catch (JsonException ex)
        {
            throw Fail(filePath, current, $"the header is not valid JSON ({ex.Message}).", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Raised by GetString on invalid UTF-8 or by a token of the wrong kind.
            throw Fail(filePath, current, $"the header is not valid JSON ({ex.Message}).", ex);
        }

        CheckNoOverlap(filePath, tensors.Values);
        return new Result(tensors, metadata);
    }

    private static void Next(ref Utf8JsonReader reader, string filePath, string? tensor)
    {
        if (!reader.Read())
            throw Fail(filePath, tensor, "the header JSON ends early.");
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, string filePath, Dictionary<string, string> metadata)
    {
        if (reader.TokenType == JsonTokenType.Null) return;
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(filePath, null, $"'{MetadataKey}' must be an object of strings.");
        while (true)
        {
            Next(ref reader, filePath, null);
            if (reader.TokenType == JsonTokenType.EndObject) return;
            string key = reader.GetString()!;
            Next(ref reader, filePath, null);
            if (reader.TokenType != JsonTokenType.String)
                throw Fail(filePath, null, $"'{MetadataKey}' value for '{key}' must be a string.");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw Fail(filePath, null, $"'{MetadataKey}' has the key '{key}' twice.");
        }
    }

    private static SafetensorsTensorInfo ReadEntry(
        ref Utf8JsonReader reader, string filePath, string name, long dataSectionOffset, long dataSectionLength)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw Fail(filePath, name, "the entry must be an object with dtype, shape and data_offsets.");

        string? dtypeText = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            Next(ref reader, filePath, name);
            if (reader.TokenType == JsonTokenType.EndObject) break;
            string property = reader.GetString()!;
            Next(ref reader, filePath, name);
            switch (property)
            {
                case "dtype":
                    if (dtypeText is not null) throw Fail(filePath, name, "'dtype' appears twice.");
                    if (reader.TokenType != JsonTokenType.String) throw Fail(filePath, name, "'dtype' must be a string.");
                    dtypeText = reader.GetString()!;
                    break;
                case "shape":
                    if (shape is not null) throw Fail(filePath, name, "'shape' appears twice.");
                    shape = ReadIntegerArray(ref reader, filePath, name, "shape");
                    break;
                case "data_offsets":
                    if (offsets is not null) throw Fail(filePath, name, "'data_offsets' appears twice.");
                    offsets = ReadIntegerArray(ref reader, filePath, name, "data_offsets");
                    break;
                default:
                    // Unknown fields are ignored, as the reference implementation does.
                    reader.Skip();
                    break;
            }
        }

        if (dtypeText is null) throw Fail(filePath, name, "the entry has no 'dtype'.");
        if (shape is null) throw Fail(filePath, name, "the entry has no 'shape'.");
        if (offsets is null) throw Fail(filePath, name, "the entry has no 'data_offsets'.");
        if (!SafetensorsDTypeExtensions.TryParseHeaderName(dtypeText, out var dtype))
            throw Fail(filePath, name, $"dtype '{dtypeText}' is not supported (expected BF16, F16 or F32).");
        foreach (long dim in shape)
        {
            if (dim < 0) throw Fail(filePath, name, $"shape [{string.Join(", ", shape)}] has a negative dimension.");
        }
        if (offsets.Length != 2)
            throw Fail(filePath, name, $"data_offsets must be [begin, end], got {offsets.Length} numbers.");
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin)
            throw Fail(filePath, name, $"data_offsets [{begin}, {end}] must satisfy 0 <= begin <= end.");
        if (end > dataSectionLength)
            throw Fail(filePath, name,
                $"data_offsets [{begin}, {end}] reach past the end of the data section ({dataSectionLength} bytes); the file is truncated or the header is wrong.");

        long expected;
        try
        {
            long elements = 1;
            foreach (long dim in shape) elements = checked(elements * dim);
            expected = checked(elements * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw Fail(filePath, name, $"shape [{string.Join(", ", shape)}] is too large (element count overflows).");
        }
        if (end - begin != expected)
            throw Fail(filePath, name,
                $"data_offsets [{begin}, {end}] hold {end - begin} bytes but {dtypeText} shape [{string.Join(", ", shape)}] needs {expected}.");

        return new SafetensorsTensorInfo(name, dtype, shape, filePath, dataSectionOffset + begin, expected);
    }

    private static long[] ReadIntegerArray(ref Utf8JsonReader reader, string filePath, string name, string property)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw Fail(filePath, name, $"'{property}' must be an array of integers.");
        var values = new List<long>();
        while (true)
        {
            Next(ref reader, filePath, name);
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value))
                throw Fail(filePath, name, $"'{property}' must contain only integers.");
            values.Add(value);
        }
    }

    private static void CheckNoOverlap(string filePath, IEnumerable<SafetensorsTensorInfo> tensors)
    {
        // Empty tensors occupy no bytes, so they may share an offset with anything.
        var ordered = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset).ToArray();
        for (int i = 1; i < ordered.Length; i++)
        {
            var previous = ordered[i - 1];
            if (ordered[i].DataOffset < previous.DataOffset + previous.ByteLength)
                throw Fail(filePath, ordered[i].Name, $"its bytes overlap those of tensor '{previous.Name}'.");
        }
    }

    private static SafetensorsFormatException Fail(string filePath, string? tensor, string detail, Exception? inner = null) =>
        new(filePath, tensor, detail, inner);
}
