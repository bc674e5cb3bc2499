using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// Writes safetensors files the way the reference implementation does: compact JSON header (metadata first, then
/// tensors in the given order with consecutive offsets), padded with spaces to a multiple of 8 bytes so the data
/// section is aligned. Tensor bytes are streamed from callbacks; the file appears at its path only when complete.
/// </summary>
internal static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>, replacing any file there.</summary>
    /// <param name="path">Destination file. A temporary file beside it is written first, then moved into place.</param>
    /// <param name="tensors">Tensors in file order; names must be unique.</param>
    /// <param name="metadata">The header's <c>__metadata__</c> (omitted when null or empty); transformers writes {"format": "pt"}.</param>
    /// <param name="cancellationToken">Cancels the write; the destination is then left untouched.</param>
    /// <exception cref="ArgumentException">Duplicate tensor names.</exception>
    /// <exception cref="InvalidOperationException">A data callback wrote the wrong number of bytes.</exception>
    public static async Task WriteAsync(
        string path,
        IReadOnlyList<SafetensorsTensorSource> tensors,
        IReadOnlyDictionary<string, string>? metadata = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        string fullPath = Path.GetFullPath(path);
        byte[] header = CreateHeader(tensors, metadata);
        long total = 8 + header.Length + tensors.Sum(t => t.ByteLength);

        string tempPath = Path.Combine(
            Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(
                tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0,
                FileOptions.Asynchronous | FileOptions.SequentialScan))
            {
                // Reserving the space up front fails fast on a full disk instead of after gigabytes.
                stream.SetLength(total);
                var prefix = new byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                await stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
                await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                foreach (var tensor in tensors)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var data = new TensorDataStream(stream, tensor.Name, tensor.ByteLength);
                    await tensor.WriteData(data, cancellationToken).ConfigureAwait(false);
                    if (data.Written != tensor.ByteLength)
                        throw new InvalidOperationException(
                            $"The data callback of tensor '{tensor.Name}' wrote {data.Written} bytes, expected {tensor.ByteLength}.");
                }
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// The header JSON for <paramref name="tensors"/> in order, padded with spaces to a multiple of 8 bytes
    /// (without the 8-byte length prefix).
    /// </summary>
    /// <exception cref="ArgumentException">Duplicate tensor names.</exception>
    public static byte[] CreateHeader(
        IReadOnlyList<SafetensorsTensorSource> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            // Tensor names are written as-is (like the Rust and Python writers), not \u-escaped.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            Indented = false,
        }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeaderParser.MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                if (!names.Add(tensor.Name))
                    throw new ArgumentException($"Tensor '{tensor.Name}' is listed twice.", nameof(tensors));
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset = checked(offset + tensor.ByteLength);
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temp file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
