using System.Buffers;
using System.Runtime.InteropServices;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// Streams checkpoint tensors into the external data file at the export precision, one tensor (or one
/// chunk of rows) in memory at a time, and keeps the export's numeric report.
/// </summary>
internal sealed class WeightWriter
{
    // Rows converted per chunk for row-streamed tensors (the embedding table can be ~1 GB in fp32).
    private const int ChunkElements = 1 << 22;

    private readonly ICheckpointWeights _weights;
    private readonly ExternalDataWriter _data;
    private readonly ExportPrecision _precision;

    public WeightWriter(ICheckpointWeights weights, ExternalDataWriter data, ExportPrecision precision)
    {
        _weights = weights;
        _data = data;
        _precision = precision;
    }

    /// <summary>Values clamped to fp16's finite range so far.</summary>
    public long ClampedValues { get; private set; }

    /// <summary>Elements written so far (a quantized weight counts the weights it stands for).</summary>
    public long ElementsWritten { get; private set; }

    /// <summary>The element type of float weights, activations and the KV cache: fp16 only for the fp16 precision
    /// (int4 / int8 keep fp32 activations, as ONNX Runtime GenAI's CPU int4 models do).</summary>
    public OnnxDataType DataType => _precision == ExportPrecision.Fp16 ? OnnxDataType.Float16 : OnnxDataType.Float;

    /// <summary>Writes a tensor as stored (same shape), converting row chunks so huge tables never sit in memory whole.</summary>
    public TensorProto WriteAsIs(string checkpointName, string onnxName)
    {
        var shape = RequireShape(checkpointName);
        long count = Product(shape);
        var tensor = _data.Begin(onnxName, DataType, shape, count * DataType.ElementSize());
        if (SkipIfDiscarding(count)) return tensor;
        var buffer = ArrayPool<float>.Shared.Rent((int)Math.Min(count, ChunkElements));
        try
        {
            for (long start = 0; start < count; start += ChunkElements)
            {
                var chunk = buffer.AsSpan(0, (int)Math.Min(ChunkElements, count - start));
                _weights.ReadAsFloat32(checkpointName, start, chunk);
                AppendConverted(chunk);
            }
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
        return tensor;
    }

    /// <summary>Writes a Linear weight [out, in] transposed to [in, out], the layout MatMul(x, W) wants.</summary>
    public TensorProto WriteTransposed(string checkpointName, string onnxName)
    {
        if (_data.IsDiscarding)
        {
            var shape = RequireShape(checkpointName);
            if (shape.Length != 2)
                throw new InvalidDataException($"Tensor '{checkpointName}' should be 2-D [out, in] but has shape [{string.Join(", ", shape)}].");
            var skipped = _data.Begin(onnxName, DataType, [shape[1], shape[0]], shape[0] * shape[1] * DataType.ElementSize());
            SkipIfDiscarding(shape[0] * shape[1]);
            return skipped;
        }
        var source = ReadMatrix(checkpointName, out int rows, out int cols);
        var transposed = new float[source.Length];
        Parallel.For(0, cols, c =>
        {
            var dst = transposed.AsSpan(c * rows, rows);
            for (int r = 0; r < rows; r++) dst[r] = source[(long)r * cols + c];
        });
        var tensor = _data.Begin(onnxName, DataType, [cols, rows], transposed.LongLength * DataType.ElementSize());
        for (long start = 0; start < transposed.LongLength; start += ChunkElements)
            AppendConverted(transposed.AsSpan((int)start, (int)Math.Min(ChunkElements, transposed.LongLength - start)));
        return tensor;
    }

    /// <summary>Reads a 2-D tensor [rows, cols] as float32, row-major.</summary>
    public float[] ReadMatrix(string checkpointName, out int rows, out int cols)
    {
        var shape = RequireShape(checkpointName);
        if (shape.Length != 2)
            throw new InvalidDataException($"Tensor '{checkpointName}' should be 2-D [out, in] but has shape [{string.Join(", ", shape)}].");
        rows = checked((int)shape[0]);
        cols = checked((int)shape[1]);
        var source = new float[(long)rows * cols];
        _weights.ReadAsFloat32(checkpointName, 0, source);
        return source;
    }

    /// <summary>
    /// Writes bytes already in their final encoding (quantized codes, scales); <paramref name="elements"/> is
    /// the number of weights they stand for, counted in <see cref="ElementsWritten"/>.
    /// </summary>
    public TensorProto WriteRaw(string onnxName, OnnxDataType type, long[] dims, ReadOnlySpan<byte> bytes, long elements)
    {
        ElementsWritten += elements;
        return _data.Write(onnxName, type, dims, bytes);
    }

    /// <summary>An initializer over rows [<paramref name="startRow"/>, <paramref name="endRow"/>) of <paramref name="source"/>'s bytes, written once (<see cref="ExternalDataWriter.AliasRows"/>).</summary>
    public TensorProto AliasRows(TensorProto source, string name, long startRow, long endRow, long[]? rowDims = null) =>
        _data.AliasRows(source, name, startRow, endRow, rowDims);

    /// <summary>Writes computed values (e.g. rotary tables) at the export precision.</summary>
    public TensorProto WriteValues(string onnxName, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = _data.Begin(onnxName, DataType, dims, (long)values.Length * DataType.ElementSize());
        if (!SkipIfDiscarding(values.Length)) AppendConverted(values);
        return tensor;
    }

    /// <summary>
    /// For a graph-only build (discarding data writer): counts and skips the tensor's bytes without reading the
    /// checkpoint, so a 1.5B-shaped graph builds in a moment. Returns whether it skipped.
    /// </summary>
    private bool SkipIfDiscarding(long elements)
    {
        if (!_data.IsDiscarding) return false;
        ElementsWritten += elements;
        _data.Skip(elements * DataType.ElementSize());
        return true;
    }

    private void AppendConverted(ReadOnlySpan<float> values)
    {
        ElementsWritten += values.Length;
        if (DataType == OnnxDataType.Float)
        {
            _data.Append(MemoryMarshal.AsBytes(values));
            return;
        }
        var halves = ArrayPool<Half>.Shared.Rent(values.Length);
        try
        {
            var span = halves.AsSpan(0, values.Length);
            ClampedValues += Float16Narrowing.Narrow(values, span);
            _data.Append(MemoryMarshal.AsBytes(span));
        }
        finally { ArrayPool<Half>.Shared.Return(halves); }
    }

    private long[] RequireShape(string name)
    {
        if (!_weights.Contains(name))
            throw new InvalidDataException($"The checkpoint has no tensor '{name}', which a Qwen2 model needs.");
        return _weights.GetShape(name).ToArray();
    }

    private static long Product(long[] shape)
    {
        long n = 1;
        foreach (var d in shape) n = checked(n * d);
        return n;
    }
}
