using System.Runtime.InteropServices;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Qwen2;

namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Emits checkpoint Linear weights as MatMulNBits nodes (and the embedding as a GatherBlockQuantized lookup): reads
/// the [out, in] weight, quantizes it, streams B / scales / zero points into the external data file once per weight,
/// and records each tensor's quantization error.
/// </summary>
internal sealed class QuantizedLinearWriter
{
    private readonly WeightWriter _weights;
    private readonly QuantizationOptions _options;
    private readonly int _bits;
    private readonly int _blockSize;
    private readonly List<TensorQuantizationError> _tensors = [];
    private QuantizationErrorStats _total;
    private readonly Dictionary<string, QuantizedInitializers> _written = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _protos = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inGraph = new(StringComparer.Ordinal);
    private bool _quantizedLmHead;

    /// <param name="weights">Reads the checkpoint and writes the external data.</param>
    /// <param name="bits">4 or 8.</param>
    /// <param name="options">Block size, symmetry, accuracy level, lm_head.</param>
    public QuantizedLinearWriter(WeightWriter weights, int bits, QuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(options);
        if (bits is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(bits), bits, "Only 4- and 8-bit exports are offered.");
        options.Validate();
        _weights = weights;
        _bits = bits;
        _blockSize = options.BlockSizeFor(bits);
        _options = options;
    }

    /// <summary>Whether lm_head should be quantized too.</summary>
    public bool QuantizeLmHead => _options.QuantizeLmHead;

    /// <summary>Adds MatMulNBits(<paramref name="input"/>, W) for checkpoint weight <paramref name="checkpointName"/>; returns the output.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="nodeName">The node's name.</param>
    /// <param name="input">Activations [..., in].</param>
    /// <param name="checkpointName">A 2-D [out, in] checkpoint tensor (quantized once even when several nodes use it).</param>
    /// <param name="isLmHead">Marks the head, for the report.</param>
    /// <param name="bias">A float [out] initializer added to the product, or null.</param>
    public string Emit(GraphBuilder graph, string nodeName, string input, string checkpointName, bool isLmHead = false, string? bias = null)
    {
        var weight = Quantize(checkpointName, forGather: false, _blockSize);
        if (weight.ForGather)
            throw new InvalidOperationException($"'{checkpointName}' is an embedding table (scales laid out for its lookup); read it through {nameof(EmitRowSlices)}.");
        AddToGraph(graph, weight.Codes, weight.Scales, weight.ZeroPoints);
        _quantizedLmHead |= isLmHead;
        return MatMulNBitsNode.Add(graph, nodeName, input, weight.Codes, weight.Scales, weight.ZeroPoints, weight.Layout, _options.AccuracyLevel, bias);
    }

    /// <summary>
    /// Adds one MatMulNBits per row range of checkpoint weight <paramref name="checkpointName"/> (quantized and written
    /// once, as for <see cref="Emit"/>); each reads its rows of the written codes, scales and zero points through
    /// initializers over the same bytes (<see cref="WeightWriter.AliasRows"/>), so a tied head stores nothing twice yet
    /// ONNX Runtime can drop each slice's mapping once it has prepacked it. Returns the outputs in row order.
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="nodeName">The nodes' name (numbered per slice).</param>
    /// <param name="input">Activations [..., in].</param>
    /// <param name="checkpointName">A 2-D [out, in] checkpoint tensor.</param>
    /// <param name="rows">Contiguous row ranges [start, end) of the weight.</param>
    /// <param name="sliceName">Names a slice's initializers from its row range.</param>
    /// <param name="isLmHead">Marks the head, for the report.</param>
    public IReadOnlyList<string> EmitRowSlices(GraphBuilder graph, string nodeName, string input, string checkpointName,
        IReadOnlyList<(int Start, int End)> rows, Func<int, int, string> sliceName, bool isLmHead = false)
    {
        var weight = Quantize(checkpointName, forGather: false, _blockSize);
        _quantizedLmHead |= isLmHead;
        var outputs = new List<string>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var (start, end) = rows[i];
            string prefix = QuantizedTensorNames.Prefix(sliceName(start, end), _bits);
            string Alias(string source, string suffix, long[]? rowDims = null) =>
                graph.Initializer(_weights.AliasRows(_protos[source], prefix + suffix, start, end, rowDims));
            var layout = MatMulNBitsLayout.Create(end - start, weight.Layout.K, weight.Layout.Bits, weight.Layout.BlockSize);
            // A table's scales are stored [N, k_blocks, 1] for its lookup; MatMulNBits reads the same bytes as [rows, k_blocks].
            outputs.Add(MatMulNBitsNode.Add(graph, $"{nodeName}_{i}", input, Alias(weight.Codes, ""), Alias(weight.Scales, QuantizedTensorNames.ScalesSuffix, [layout.BlockCount]),
                weight.ZeroPoints is null ? null : Alias(weight.ZeroPoints, QuantizedTensorNames.ZeroPointsSuffix), layout, _options.AccuracyLevel));
        }
        return outputs;
    }

    /// <summary>
    /// Adds an embedding lookup of <paramref name="indices"/> in checkpoint table <paramref name="checkpointName"/>
    /// [vocab, hidden], quantized like a Linear weight (see <see cref="GatherBlockQuantizedNode"/>); returns float
    /// [batch, sequence, hidden]. Emit it before a tied head, which then reads row slices of the same bytes
    /// (<see cref="EmitRowSlices"/>). The table's block size is at most <see cref="QuantizationOptions.MaxTableBlockSize"/>.
    /// </summary>
    public string EmitGather(GraphBuilder graph, string nodeName, string indices, string checkpointName)
    {
        var table = Quantize(checkpointName, forGather: true, Math.Min(_blockSize, QuantizationOptions.MaxTableBlockSize));
        AddToGraph(graph, table.Codes, table.Scales, table.BlockZeroPoints);
        return GatherBlockQuantizedNode.Add(graph, nodeName, indices, table);
    }

    /// <summary>Quantizes and writes a weight the first time it is asked for; later calls return the same initializers.</summary>
    private QuantizedInitializers Quantize(string checkpointName, bool forGather, int blockSize)
    {
        if (_written.TryGetValue(checkpointName, out var existing))
        {
            if (forGather && !existing.ForGather)
                throw new InvalidOperationException($"'{checkpointName}' was quantized for MatMulNBits before its gather; emit the gather first.");
            return existing;
        }
        var source = _weights.ReadMatrix(checkpointName, out int rows, out int cols);
        var layout = MatMulNBitsLayout.Create(rows, cols, _bits, blockSize);
        var (matrix, error) = BlockQuantizer.Quantize(source, layout, symmetric: !_options.Asymmetric);
        string prefix = QuantizedTensorNames.Prefix(checkpointName, _bits);
        string codes = Keep(_weights.WriteRaw(prefix, OnnxDataType.UInt8, matrix.CodesShape, matrix.Codes, elements: source.LongLength));
        string scales = Keep(_weights.WriteRaw(prefix + QuantizedTensorNames.ScalesSuffix, OnnxDataType.Float, forGather ? matrix.BlockScalesShape : matrix.ScalesShape,
            MemoryMarshal.AsBytes(matrix.Scales.AsSpan()), elements: 0));
        string? zeroPoints = null, blockZeroPoints = null;
        if (matrix.ZeroPoints is not null)
        {
            zeroPoints = Keep(_weights.WriteRaw(prefix + QuantizedTensorNames.ZeroPointsSuffix, OnnxDataType.UInt8, matrix.ZeroPointsShape, matrix.ZeroPoints, elements: 0));
            if (forGather)
                blockZeroPoints = Keep(_weights.WriteRaw(prefix + QuantizedTensorNames.BlockZeroPointsSuffix, OnnxDataType.UInt8,
                    [layout.N, layout.BlockCount, 1], matrix.UnpackedZeroPoints(), elements: 0));
        }

        _tensors.Add(new TensorQuantizationError
        {
            Name = checkpointName, N = rows, K = cols, BlockSize = blockSize, MaxAbsError = error.MaxAbsError, RelativeRmsError = error.RelativeRmsError,
        });
        _total = _tensors.Count == 1 ? error : _total.Combine(error);
        var written = new QuantizedInitializers(layout, codes, scales, zeroPoints, blockZeroPoints, forGather);
        _written.Add(checkpointName, written);
        return written;
    }

    /// <summary>Remembers a written tensor; it joins a graph only when a node reads it whole (<see cref="AddToGraph"/>).</summary>
    private string Keep(TensorProto tensor)
    {
        _protos.Add(tensor.Name, tensor);
        return tensor.Name;
    }

    /// <summary>
    /// Adds written tensors to the graph the first time a node reads them whole; one read only through row slices (an
    /// untied head, a tied table's packed zero points) never appears whole, so ONNX Runtime never maps (or warns
    /// about) an unused initializer.
    /// </summary>
    private void AddToGraph(GraphBuilder graph, params string?[] names)
    {
        foreach (var name in names)
            if (name is not null && _inGraph.Add(name)) graph.Initializer(_protos[name]);
    }

    /// <summary>The report of everything emitted so far.</summary>
    public QuantizationReport BuildReport() => new()
    {
        Bits = _bits,
        BlockSize = _blockSize,
        Symmetric = !_options.Asymmetric,
        AccuracyLevel = _options.AccuracyLevel,
        LmHeadQuantized = _quantizedLmHead,
        QuantizedWeights = _total.Elements,
        MaxAbsError = _total.MaxAbsError,
        RelativeRmsError = _total.RelativeRmsError,
        Tensors = _tensors.ToArray(),
    };
}
