namespace OnnxLlm.Export.Quantization;

/// <summary>
/// The graph initializers of one quantized checkpoint weight, in MatMulNBits' layout: written once and read by every
/// node that uses the weight (a tied Qwen head's MatMulNBits reads row slices of the embedding's GatherBlockQuantized table).
/// </summary>
/// <param name="Layout">Shapes, bit width and block size.</param>
/// <param name="Codes">B: uint8 [N, k_blocks, blob_size].</param>
/// <param name="Scales">float [N, k_blocks], or [N, k_blocks, 1] for a table (<paramref name="ForGather"/>).</param>
/// <param name="ZeroPoints">Packed uint8 [N, ceil(k_blocks × bits / 8)], or null for the symmetric zero point.</param>
/// <param name="BlockZeroPoints">
/// The same zero points one byte per block, [N, k_blocks, 1] (the layout GatherBlockQuantized reads for a rank-3
/// table), or null when symmetric or when no gather uses the weight.
/// </param>
/// <param name="ForGather">Written for an embedding lookup: scales (and zero points) laid out as GatherBlockQuantized reads them.</param>
internal sealed record QuantizedInitializers(MatMulNBitsLayout Layout, string Codes, string Scales, string? ZeroPoints, string? BlockZeroPoints, bool ForGather);
