namespace OnnxLlm.Export.Quantization;

/// <summary>A weight quantized into MatMulNBits' three tensors (see <see cref="MatMulNBitsLayout"/>).</summary>
/// <param name="Layout">Shapes and bit width.</param>
/// <param name="Codes">B: [N, k_blocks, blob_size] packed codes.</param>
/// <param name="Scales">[N, k_blocks] float32 scales.</param>
/// <param name="ZeroPoints">[N, zero-point bytes per row] packed zero points, or null for the symmetric (implied) zero point.</param>
internal sealed record QuantizedMatrix(MatMulNBitsLayout Layout, byte[] Codes, float[] Scales, byte[]? ZeroPoints)
{
    /// <summary>Dimensions of B.</summary>
    public long[] CodesShape => [Layout.N, Layout.BlockCount, Layout.BlobSize];

    /// <summary>Dimensions of the scales as MatMulNBits reads them.</summary>
    public long[] ScalesShape => [Layout.N, Layout.BlockCount];

    /// <summary>
    /// Dimensions of the same scales as GatherBlockQuantized reads them, one per [blob_size] block of a rank-3 table
    /// (see <see cref="GatherBlockQuantizedNode"/>); the bytes are those of <see cref="ScalesShape"/>.
    /// </summary>
    public long[] BlockScalesShape => [Layout.N, Layout.BlockCount, 1];

    /// <summary>Dimensions of the packed zero points.</summary>
    public long[] ZeroPointsShape => [Layout.N, Layout.ZeroPointBytesPerRow];

    /// <summary>The zero points one byte per block, row-major [N, k_blocks] (null when symmetric).</summary>
    public byte[]? UnpackedZeroPoints()
    {
        if (ZeroPoints is null) return null;
        var unpacked = new byte[(long)Layout.N * Layout.BlockCount];
        for (int n = 0; n < Layout.N; n++)
        {
            var row = ZeroPoints.AsSpan(n * Layout.ZeroPointBytesPerRow, Layout.ZeroPointBytesPerRow);
            for (int b = 0; b < Layout.BlockCount; b++)
                unpacked[(long)n * Layout.BlockCount + b] = (byte)PackedCodes.Get(row, b, Layout.Bits);
        }
        return unpacked;
    }
}
