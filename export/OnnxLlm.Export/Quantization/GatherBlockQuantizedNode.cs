using OnnxLlm.Export.Onnx;

namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Adds an embedding lookup on a table quantized in MatMulNBits' layout, through ONNX Runtime's
/// <c>com.microsoft.GatherBlockQuantized</c>, so one set of quantized bytes can serve both the lookup and a tied head.
/// </summary>
/// <remarks>
/// ONNX Runtime's CPU kernel (uint8 data, 4 or 8 bits) gathers along axis 0 and dequantizes along the last axis, which
/// must be the quantize axis; scales (and zero points) must have the data's rank. MatMulNBits' B is
/// [N, k_blocks, blob_size], so the table is read as that rank-3 tensor with quantize_axis 2: each [blob_size] row is
/// one block of block_size codes (low nibble first for 4 bits, as MatMulNBits packs them), scales are stored as
/// [N, k_blocks, 1] (the bytes of MatMulNBits' [N, k_blocks], which a tied head reads through aliases of its own: a
/// Reshape here would be constant-folded into a second, resident copy), and the default zero point is
/// 2^(bits − 1) in both kernels. The gathered [..., k_blocks, block_size] rows are flattened to k_blocks × block_size
/// and, when K is not a multiple of the block size, sliced back to K (the padding dequantizes to 0).
/// </remarks>
internal static class GatherBlockQuantizedNode
{
    /// <summary>The operator's name.</summary>
    public const string OpType = "GatherBlockQuantized";

    /// <summary>Adds the lookup of <paramref name="indices"/> (int64 [batch, sequence]); returns float [batch, sequence, K].</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="name">Node name prefix.</param>
    /// <param name="indices">Token ids.</param>
    /// <param name="table">The quantized table, including its per-block zero points when asymmetric.</param>
    public static string Add(GraphBuilder graph, string name, string indices, QuantizedInitializers table)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(table);
        var layout = table.Layout;
        if (table.ZeroPoints is not null && table.BlockZeroPoints is null)
            throw new ArgumentException("An asymmetric table needs its per-block zero points for GatherBlockQuantized.", nameof(table));
        if (!table.ForGather)
            throw new ArgumentException("The table's scales must be stored per block ([N, k_blocks, 1]) for GatherBlockQuantized.", nameof(table));
        string[] inputs = table.BlockZeroPoints is null ? [table.Codes, indices, table.Scales] : [table.Codes, indices, table.Scales, table.BlockZeroPoints];
        var blocks = graph.Op(OpType, name, inputs, GraphBuilder.MicrosoftDomain,
            Attr.Int("gather_axis", 0), Attr.Int("quantize_axis", 2), Attr.Int("block_size", layout.BlockSize), Attr.Int("bits", layout.Bits));
        var rows = graph.Op("Reshape", $"{name}/rows", [blocks, graph.ConstantInt64($"{name}/rows_shape", 0, 0, (long)layout.BlockCount * layout.BlockSize)]);
        if (layout.BlockCount * layout.BlockSize == layout.K) return rows;
        return graph.Op("Slice", $"{name}/unpad", [rows, graph.ConstantInt64($"{name}/unpad_start", 0),
            graph.ConstantInt64($"{name}/unpad_end", layout.K), graph.ConstantInt64($"{name}/unpad_axis", -1)]);
    }
}
