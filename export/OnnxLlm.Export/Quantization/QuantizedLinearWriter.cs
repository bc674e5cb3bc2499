using System.Runtime.InteropServices;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Qwen2;

namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Emits checkpoint Linear weights as MatMulNBits nodes: reads the [out, in] weight, quantizes it, streams
/// B / scales / zero points into the external data file, and records each tensor's quantization error.
/// </summary>
internal sealed class QuantizedLinearWriter
{
    private readonly WeightWriter _weights;
    private readonly QuantizationOptions _options;
    private readonly int _bits;
    private readonly List<TensorQuantizationError> _tensors = [];
    private QuantizationErrorStats _total;
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
        _options = options;
    }

    /// <summary>Whether lm_head should be quantized too.</summary>
    public bool QuantizeLmHead => _options.QuantizeLmHead;

    /// <summary>Adds MatMulNBits(<paramref name="input"/>, W) for checkpoint weight <paramref name="checkpointName"/>; returns the output.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="nodeName">The node's name.</param>
    /// <param name="input">Activations [..., in].</param>
    /// <param name="checkpointName">A 2-D [out, in] checkpoint tensor.</param>
    /// <param name="isLmHead">Marks the head, for the report.</param>
    public string Emit(GraphBuilder graph, string nodeName, string input, string checkpointName, bool isLmHead = false)
    {
        var source = _weights.ReadMatrix(checkpointName, out int rows, out int cols);
        var layout = MatMulNBitsLayout.Create(rows, cols, _bits, _options.BlockSize);
        var (matrix, error) = BlockQuantizer.Quantize(source, layout, symmetric: !_options.Asymmetric);
        string suffix = $"_Q{_bits}";
        string codes = graph.Initializer(_weights.WriteRaw(checkpointName + suffix, OnnxDataType.UInt8, matrix.CodesShape, matrix.Codes, elements: source.LongLength));
        string scales = graph.Initializer(_weights.WriteRaw(checkpointName + suffix + "_scales", OnnxDataType.Float, matrix.ScalesShape,
            MemoryMarshal.AsBytes(matrix.Scales.AsSpan()), elements: 0));
        string? zeroPoints = matrix.ZeroPoints is null ? null
            : graph.Initializer(_weights.WriteRaw(checkpointName + suffix + "_zero_points", OnnxDataType.UInt8, matrix.ZeroPointsShape, matrix.ZeroPoints, elements: 0));

        _tensors.Add(new TensorQuantizationError
        {
            Name = checkpointName, N = rows, K = cols, MaxAbsError = error.MaxAbsError, RelativeRmsError = error.RelativeRmsError,
        });
        _total = _tensors.Count == 1 ? error : _total.Combine(error);
        _quantizedLmHead |= isLmHead;
        return MatMulNBitsNode.Add(graph, nodeName, input, codes, scales, zeroPoints, layout, _options.AccuracyLevel);
    }

    /// <summary>The report of everything emitted so far.</summary>
    public QuantizationReport BuildReport() => new()
    {
        Bits = _bits,
        BlockSize = _options.BlockSize,
        Symmetric = !_options.Asymmetric,
        AccuracyLevel = _options.AccuracyLevel,
        LmHeadQuantized = _quantizedLmHead,
        QuantizedWeights = _total.Elements,
        MaxAbsError = _total.MaxAbsError,
        RelativeRmsError = _total.RelativeRmsError,
        Tensors = _tensors.ToArray(),
    };
}
