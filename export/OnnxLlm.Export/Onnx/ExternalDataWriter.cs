using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Onnx;

/// <summary>
/// Appends initializer bytes to the model's external data file (<c>model.onnx.data</c>) and returns the
/// <see cref="TensorProto"/> that points at them, so models of any size stay under protobuf's 2 GB limit.
/// </summary>
internal sealed class ExternalDataWriter : IDisposable
{
    // ONNX recommends page-aligned offsets so runtimes can memory-map large tensors; small tensors only
    // need natural alignment, which keeps a model with hundreds of biases from wasting pages.
    private const int LargeTensorAlignment = 4096;
    private const int SmallTensorAlignment = 64;
    private const int LargeTensorBytes = 64 * 1024;

    private readonly FileStream _stream;
    private readonly string _location;

    public ExternalDataWriter(string dataFilePath)
    {
        _location = Path.GetFileName(dataFilePath);
        _stream = new FileStream(dataFilePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
    }

    /// <summary>Total bytes written so far.</summary>
    public long Length => _stream.Length;

    /// <summary>Writes one tensor's raw little-endian bytes and returns its external-data TensorProto.</summary>
    public TensorProto Write(string name, OnnxDataType type, ReadOnlySpan<long> dims, ReadOnlySpan<byte> data)
    {
        var tensor = Begin(name, type, dims, data.Length);
        _stream.Write(data);
        return tensor;
    }

    /// <summary>
    /// Starts a tensor whose bytes the caller then streams with <see cref="Append"/> (for tensors converted in
    /// chunks); <paramref name="byteLength"/> must equal what is appended.
    /// </summary>
    public TensorProto Begin(string name, OnnxDataType type, ReadOnlySpan<long> dims, long byteLength)
    {
        long alignment = byteLength >= LargeTensorBytes ? LargeTensorAlignment : SmallTensorAlignment;
        long padding = (alignment - _stream.Position % alignment) % alignment;
        if (padding > 0) _stream.Write(new byte[padding]);
        var tensor = new TensorProto { Name = name, DataType = (int)type, DataLocation = TensorProto.Types.DataLocation.External };
        foreach (var d in dims) tensor.Dims.Add(d);
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = _location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = _stream.Position.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = byteLength.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return tensor;
    }

    /// <summary>Appends bytes of the tensor most recently started with <see cref="Begin"/>.</summary>
    public void Append(ReadOnlySpan<byte> data) => _stream.Write(data);

    public void Dispose()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
    }
}
