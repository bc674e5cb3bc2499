namespace OnnxLlm.Export.Quantization;

/// <summary>
/// The shape contract of ONNX Runtime's <c>com.microsoft.MatMulNBits</c> for a weight of <see cref="N"/> output
/// rows and <see cref="K"/> inputs: B is uint8 [N, k_blocks, blob_size] with codes packed low bits first
/// along K, scales are [N, k_blocks], packed uint8 zero points are [N, ceil(k_blocks × bits / 8)], and
/// a weight dequantizes as (code − zero_point) × scale (zero point 2^(bits−1) when none is given).
/// </summary>
internal readonly record struct MatMulNBitsLayout
{
    private MatMulNBitsLayout(int n, int k, int bits, int blockSize)
    {
        N = n;
        K = k;
        Bits = bits;
        BlockSize = blockSize;
    }

    /// <summary>Output features (rows of the checkpoint's [out, in] weight).</summary>
    public int N { get; }

    /// <summary>Input features (the reduction dimension, quantized in blocks).</summary>
    public int K { get; }

    /// <summary>Bits per code: 2, 4 or 8.</summary>
    public int Bits { get; }

    /// <summary>Consecutive K values sharing one scale and zero point: a power of two, at least 16.</summary>
    public int BlockSize { get; }

    /// <summary>Blocks per row, ceil(K / block_size); the last one is zero-padded when K is not a multiple.</summary>
    public int BlockCount => (K + BlockSize - 1) / BlockSize;

    /// <summary>Bytes per block of codes.</summary>
    public int BlobSize => BlockSize * Bits / 8;

    /// <summary>Bytes of packed zero points per row (rows are padded to whole bytes).</summary>
    public int ZeroPointBytesPerRow => (BlockCount * Bits + 7) / 8;

    /// <summary>The zero point the kernel assumes when the node has none: 8 for 4 bits, 128 for 8 bits.</summary>
    public int DefaultZeroPoint => 1 << (Bits - 1);

    /// <summary>The largest code, 2^bits − 1.</summary>
    public int MaxCode => (1 << Bits) - 1;

    /// <summary>Bytes of packed codes per row.</summary>
    public int RowBytes => BlockCount * BlobSize;

    /// <summary>Validates and creates a layout.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside what MatMulNBits accepts.</exception>
    public static MatMulNBitsLayout Create(int n, int k, int bits, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (bits is not (2 or 4 or 8))
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "MatMulNBits supports 2, 4 or 8 bits.");
        if (blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "MatMulNBits needs a block size that is a power of two and at least 16.");
        return new MatMulNBitsLayout(n, k, bits, blockSize);
    }
}
