using System.Security.Cryptography;
using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Onnx;

/// <summary>
/// Appends initializer bytes to the model's external data file (<c>model.onnx.data</c>) and returns the
/// <see cref="TensorProto"/> that points at them, so models of any size stay under protobuf's 2 GB limit.
/// On request it also hashes every byte written, so a content key (Core ML's cache key) costs no second read.
/// </summary>
internal sealed class ExternalDataWriter : IDisposable
{
    // ONNX recommends page-aligned offsets so runtimes can memory-map large tensors; small tensors only
    // need natural alignment, which keeps a model with hundreds of biases from wasting pages.
    private const int LargeTensorAlignment = 4096;
    private const int SmallTensorAlignment = 64;
    private const int LargeTensorBytes = 64 * 1024;

    // The external_data keys of ONNX's TensorProto.
    private const string LocationKey = "location";
    private const string OffsetKey = "offset";
    private const string LengthKey = "length";

    private readonly FileStream? _stream;
    private readonly string _location;
    private readonly IncrementalHash? _hash;
    private long _position;

    /// <param name="dataFilePath">The file to create.</param>
    /// <param name="hashContent">Hash the bytes as they are written (<see cref="ContentHash"/>); only exports that need a content key pay for it.</param>
    public ExternalDataWriter(string dataFilePath, bool hashContent = false)
    {
        _location = Path.GetFileName(dataFilePath);
        _stream = new FileStream(dataFilePath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        if (hashContent) _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    }

    private ExternalDataWriter(string location, FileStream? stream)
    {
        _location = location;
        _stream = stream;
    }

    /// <summary>
    /// A writer that lays out offsets exactly as a real one would but stores nothing: for building a graph
    /// (to check or inspect it) without paying for gigabytes of weights.
    /// </summary>
    public static ExternalDataWriter Discarding(string location) => new(location, null);

    /// <summary>Whether bytes are dropped (see <see cref="Discarding"/>); callers may then skip producing them.</summary>
    public bool IsDiscarding => _stream is null;

    /// <summary>Total bytes written so far.</summary>
    public long Length => _position;

    /// <summary>Writes one tensor's raw little-endian bytes and returns its external-data TensorProto.</summary>
    public TensorProto Write(string name, OnnxDataType type, ReadOnlySpan<long> dims, ReadOnlySpan<byte> data)
    {
        var tensor = Begin(name, type, dims, data.Length);
        Append(data);
        return tensor;
    }

    /// <summary>
    /// Starts a tensor whose bytes the caller then streams with <see cref="Append"/> (for tensors converted in
    /// chunks); <paramref name="byteLength"/> must equal what is appended.
    /// </summary>
    public TensorProto Begin(string name, OnnxDataType type, ReadOnlySpan<long> dims, long byteLength)
    {
        long alignment = byteLength >= LargeTensorBytes ? LargeTensorAlignment : SmallTensorAlignment;
        long padding = (alignment - _position % alignment) % alignment;
        if (padding > 0) Append(new byte[padding]);
        var tensor = new TensorProto { Name = name, DataType = (int)type, DataLocation = TensorProto.Types.DataLocation.External };
        foreach (var d in dims) tensor.Dims.Add(d);
        PointAt(tensor, _position, byteLength);
        return tensor;
    }

    /// <summary>
    /// A second initializer over rows [<paramref name="startRow"/>, <paramref name="endRow"/>) of a tensor already
    /// written (first dimension), reading the very same bytes: no byte is written twice. ONNX Runtime maps each
    /// initializer on its own, so a kernel that prepacks its weight (MatMul, Gemm, MatMulNBits) releases its mapping
    /// afterwards while another node (the embedding's Gather) keeps reading the original from its own mapping.
    /// </summary>
    /// <param name="source">A tensor this writer wrote.</param>
    /// <param name="name">The new initializer's name.</param>
    /// <param name="startRow">First row.</param>
    /// <param name="endRow">One past the last row.</param>
    /// <param name="rowDims">A row's dimensions in the alias (the same bytes seen in another shape); by default the source's.</param>
    /// <exception cref="ArgumentException"><paramref name="source"/> is not in this writer's file, the rows are out of range or <paramref name="rowDims"/> do not fit a row.</exception>
    public TensorProto AliasRows(TensorProto source, string name, long startRow, long endRow, long[]? rowDims = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (StoredAt(source) is not { } stored || stored.Location != _location)
            throw new ArgumentException($"Initializer '{source.Name}' is not stored in {_location}.", nameof(source));
        var (_, offset, length) = stored;
        long rows = source.Dims.Count > 0 ? source.Dims[0] : 0;
        if (startRow < 0 || endRow <= startRow || endRow > rows)
            throw new ArgumentOutOfRangeException(nameof(endRow), $"Rows [{startRow}, {endRow}) are outside '{source.Name}' ({rows} rows).");
        long rowBytes = length / rows;
        rowDims ??= source.Dims.Skip(1).ToArray();
        if (rowDims.Aggregate(1L, (a, d) => a * d) * ((OnnxDataType)source.DataType).ElementSize() != rowBytes)
            throw new ArgumentException($"A row of [{string.Join(", ", rowDims)}] does not fill the {rowBytes} bytes of a row of '{source.Name}'.", nameof(rowDims));
        var alias = new TensorProto { Name = name, DataType = source.DataType, DataLocation = TensorProto.Types.DataLocation.External };
        alias.Dims.Add(endRow - startRow);
        alias.Dims.AddRange(rowDims);
        PointAt(alias, offset + startRow * rowBytes, (endRow - startRow) * rowBytes);
        return alias;
    }

    private void PointAt(TensorProto tensor, long offset, long byteLength)
    {
        tensor.ExternalData.Add(new StringStringEntryProto { Key = LocationKey, Value = _location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = OffsetKey, Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = LengthKey, Value = byteLength.ToString(System.Globalization.CultureInfo.InvariantCulture) });
    }

    /// <summary>Where an external initializer's bytes are (file, offset, length), or null for one stored inline.</summary>
    public static (string Location, long Offset, long Length)? StoredAt(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataLocation != TensorProto.Types.DataLocation.External) return null;
        string? Value(string key) => tensor.ExternalData.FirstOrDefault(e => e.Key == key)?.Value;
        long Number(string key) => long.Parse(Value(key) ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        return (Value(LocationKey) ?? "", Number(OffsetKey), Number(LengthKey));
    }

    /// <summary>Appends bytes of the tensor most recently started with <see cref="Begin"/>.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _position += data.Length;
        if (_stream is null) return;
        _stream.Write(data);
        _hash?.AppendData(data);
    }

    /// <summary>Advances past <paramref name="byteLength"/> bytes of a discarding writer's tensor (nothing is produced).</summary>
    public void Skip(long byteLength)
    {
        if (_stream is not null) throw new InvalidOperationException("Only a discarding writer may skip bytes.");
        _position += byteLength;
    }

    /// <summary>SHA-256 of every byte written so far (padding included), hex.</summary>
    /// <exception cref="InvalidOperationException">The writer was not created with <c>hashContent</c>.</exception>
    public string ContentHash() => Convert.ToHexString(
        (_hash ?? throw new InvalidOperationException("This data writer does not hash its content (create it with hashContent: true).")).GetCurrentHash());

    public void Dispose()
    {
        if (_stream is not null)
        {
            // A full disk fails the flush; the handle is closed either way, so the exporter can delete its staging folder.
            try { _stream.Flush(flushToDisk: true); }
            finally { _stream.Dispose(); }
        }
        _hash?.Dispose();
    }
}
