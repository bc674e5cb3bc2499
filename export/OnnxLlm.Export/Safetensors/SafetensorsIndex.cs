using System.Text.Json;

namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// A Hugging Face shard index (<c>model.safetensors.index.json</c>): which shard file holds each tensor.
/// </summary>
/// <param name="FilePath">Full path of the index file.</param>
/// <param name="Metadata">The index's <c>metadata</c> object, values as JSON text for non-strings (e.g. total_size).</param>
/// <param name="WeightMap">Tensor name to shard file name (a bare file name in the index's folder).</param>
internal sealed record SafetensorsIndex(
    string FilePath,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyDictionary<string, string> WeightMap)
{
    /// <summary>File name of the index in a Hugging Face folder.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">Invalid JSON, no weight_map, a duplicated tensor, or a shard name that is not a plain file name.</exception>
    public static SafetensorsIndex Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        byte[] json = File.ReadAllBytes(fullPath);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawWeightMap = false;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(fullPath, null, "the index is not a JSON object.");
            // Enumerating properties (rather than deserializing) sees duplicate keys, which must not be dropped silently.
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("metadata"))
                {
                    if (property.Value.ValueKind == JsonValueKind.Null) continue;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsFormatException(fullPath, null, "'metadata' must be an object.");
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        string text = entry.Value.ValueKind == JsonValueKind.String
                            ? entry.Value.GetString()!
                            : entry.Value.GetRawText();
                        metadata[entry.Name] = text;
                    }
                }
                else if (property.NameEquals("weight_map"))
                {
                    if (sawWeightMap)
                        throw new SafetensorsFormatException(fullPath, null, "the index has two 'weight_map' entries.");
                    sawWeightMap = true;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsFormatException(fullPath, null, "'weight_map' must be an object of tensor name to shard file.");
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        if (entry.Value.ValueKind != JsonValueKind.String)
                            throw new SafetensorsFormatException(fullPath, entry.Name, "the weight_map value must be a shard file name.");
                        string shard = entry.Value.GetString()!;
                        if (!IsPlainFileName(shard))
                            throw new SafetensorsFormatException(fullPath, entry.Name,
                                $"shard '{shard}' is not a plain file name in the index's folder.");
                        if (!weightMap.TryAdd(entry.Name, shard))
                            throw new SafetensorsFormatException(fullPath, entry.Name, "the tensor appears twice in weight_map.");
                    }
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 (e.g. an encoded surrogate), which JsonDocument
            // parses but cannot transcode when the name is read.
            throw new SafetensorsFormatException(fullPath, null, $"the index is not valid JSON ({ex.Message}).", ex);
        }
        if (!sawWeightMap)
            throw new SafetensorsFormatException(fullPath, null, "the index has no 'weight_map'.");
        return new SafetensorsIndex(fullPath, metadata, weightMap);
    }

    // A hostile index must not make us open files outside the checkpoint folder.
    private static bool IsPlainFileName(string name) =>
        name.Length > 0
        && name is not "." and not ".."
        && name.IndexOfAny(['/', '\\']) < 0
        && !Path.IsPathRooted(name)
        && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;
}
