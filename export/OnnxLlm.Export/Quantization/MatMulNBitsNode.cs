using OnnxLlm.Export.Onnx;

namespace OnnxLlm.Export.Quantization;

/// <summary>Adds a <c>com.microsoft.MatMulNBits</c> node: Y = A · dequantize(B)ᵀ, A's last dimension being K.</summary>
internal static class MatMulNBitsNode
{
    /// <summary>The operator's name.</summary>
    public const string OpType = "MatMulNBits";

    /// <summary>Adds the node over initializers already in the graph; returns its output.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="name">Node name (the output is named after it).</param>
    /// <param name="input">A: float [..., K].</param>
    /// <param name="codes">B initializer.</param>
    /// <param name="scales">Scales initializer.</param>
    /// <param name="zeroPoints">Packed zero-point initializer, or null for the implied symmetric zero point.</param>
    /// <param name="layout">K, N, bits and block size.</param>
    /// <param name="accuracyLevel">accuracy_level, 0 … 4.</param>
    /// <param name="bias">Float [N] initializer added to Y (input 5, after the unused g_idx), or null.</param>
    public static string Add(GraphBuilder graph, string name, string input, string codes, string scales, string? zeroPoints,
        MatMulNBitsLayout layout, int accuracyLevel, string? bias = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentOutOfRangeException.ThrowIfNegative(accuracyLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(accuracyLevel, 4);
        string[] inputs = bias is not null ? [input, codes, scales, zeroPoints ?? "", "", bias]
            : zeroPoints is null ? [input, codes, scales] : [input, codes, scales, zeroPoints];
        return graph.Op(OpType, name, inputs, GraphBuilder.MicrosoftDomain,
            Attr.Int("K", layout.K), Attr.Int("N", layout.N), Attr.Int("bits", layout.Bits),
            Attr.Int("block_size", layout.BlockSize), Attr.Int("accuracy_level", accuracyLevel));
    }
}
