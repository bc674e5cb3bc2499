namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Expands a <see cref="QuantizedMatrix"/> back to float [N, K] exactly as ONNX Runtime's MatMulNBits
/// specification defines it: w[n, k] = (code − zero_point) × scale of block k / block_size, codes and
/// packed zero points read low bits first, the zero point 2^(bits−1) when there is no zero-point tensor.
/// Written from the specification alone (not from <see cref="BlockQuantizer"/>) so it can check the packing.
/// </summary>
internal static class BlockDequantizer
{
    /// <summary>The dequantized weight, row-major [N, K].</summary>
    public static float[] Dequantize(QuantizedMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var layout = matrix.Layout;
        var result = new float[(long)layout.N * layout.K];
        for (int n = 0; n < layout.N; n++)
        {
            var codes = matrix.Codes.AsSpan(n * layout.RowBytes, layout.RowBytes);
            var zeroPoints = matrix.ZeroPoints is null ? default : matrix.ZeroPoints.AsSpan(n * layout.ZeroPointBytesPerRow, layout.ZeroPointBytesPerRow);
            for (int k = 0; k < layout.K; k++)
            {
                int block = k / layout.BlockSize;
                int code = PackedCodes.Get(codes.Slice(block * layout.BlobSize, layout.BlobSize), k % layout.BlockSize, layout.Bits);
                int zeroPoint = matrix.ZeroPoints is null ? layout.DefaultZeroPoint : PackedCodes.Get(zeroPoints, block, layout.Bits);
                result[(long)n * layout.K + k] = (code - zeroPoint) * matrix.Scales[n * layout.BlockCount + block];
            }
        }
        return result;
    }
}
