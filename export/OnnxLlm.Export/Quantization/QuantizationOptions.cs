namespace OnnxLlm.Export.Quantization;

/// <summary>
/// How the int4 / int8 precisions quantize each decoder Linear to ONNX Runtime's MatMulNBits (ignored by the
/// float precisions). Defaults: block 32 for int4 and 128 for int8, symmetric, accuracy level 4 (as ONNX Runtime GenAI's
/// CPU int4 models), and a quantized lm_head (unlike them: see <see cref="QuantizeLmHead"/>).
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>The block size of an int4 export when none is given.</summary>
    public const int DefaultInt4BlockSize = 32;

    /// <summary>
    /// The block size of an int8 export when none is given. 256 levels resolve a block of 128 weights almost as finely
    /// as one of 32 (qwen2-tiny: max |logit − golden| 0.196 against 0.180, every greedy step kept), while MatMulNBits
    /// handles a quarter of the scales: over five same-run pairs at Qwen2.5-0.5B and 1.5B shapes on 2 cores, median +25%
    /// decode and +31% prefill, and a 6–7% smaller folder (docs/performance.md). int4 keeps 32: 16 levels per block leave
    /// no such margin.
    /// </summary>
    public const int DefaultInt8BlockSize = 128;

    /// <summary>The accuracy level used when none is given: int8 activations on CPU (the fastest kernels).</summary>
    public const int DefaultAccuracyLevel = 4;

    /// <summary>
    /// The largest block size used for the embedding table (and a head tied to it), whatever <see cref="BlockSize"/>
    /// says: the table is both the model's input and its head, the most error-sensitive weight, and its extra scales
    /// at block 32 cost little (Qwen2.5-0.5B: 17 MB vs 4 MB at block 128). Measured on qwen2-tiny at block 128, a
    /// block-128 table cost 5 more teacher-forced greedy disagreements in 48 than a block-32 one.
    /// </summary>
    public const int MaxTableBlockSize = 32;

    /// <summary>The block sizes offered: powers of two from 16 (MatMulNBits' minimum) to 128.</summary>
    public static IReadOnlyList<int> SupportedBlockSizes { get; } = [16, 32, 64, 128];

    /// <summary>
    /// Consecutive input-dimension weights that share a scale (and zero point); null (the default) takes the
    /// precision's own: <see cref="DefaultInt4BlockSize"/> or <see cref="DefaultInt8BlockSize"/>.
    /// </summary>
    public int? BlockSize { get; init; }

    /// <summary>The block size an export at <paramref name="bits"/> bits uses: <see cref="BlockSize"/> or that precision's default.</summary>
    /// <param name="bits">4 or 8.</param>
    public int BlockSizeFor(int bits) => BlockSize ?? bits switch
    {
        4 => DefaultInt4BlockSize,
        8 => DefaultInt8BlockSize,
        _ => throw new ArgumentOutOfRangeException(nameof(bits), bits, "Only 4- and 8-bit exports are offered."),
    };

    /// <summary>
    /// Store an explicit zero point per block (min/max quantization) instead of the implied symmetric one.
    /// Costs 4 (int4) or 8 (int8) bits per block and usually lowers the error on skewed blocks.
    /// </summary>
    public bool Asymmetric { get; init; }

    /// <summary>
    /// MatMulNBits' accuracy_level: the lowest precision the kernel may compute in — 0 unset, 1 fp32, 2 fp16,
    /// 3 bf16, 4 int8 (activations quantized per block on the fly; the fast path on CPU). 4 by default.
    /// </summary>
    public int AccuracyLevel { get; init; } = DefaultAccuracyLevel;

    /// <summary>
    /// Quantize lm_head too (on by default). Decode reads every weight once per token, and a float head over Qwen's
    /// 151,936-token vocabulary is most of those bytes at int4 (545 of 768 MB per token for Qwen2.5-0.5B): quantized,
    /// 0.5B int4 decode goes from 46 to 98 tokens/s on 2 cores (docs/performance.md), for about one greedy step in 48
    /// on the tiny test model. Set false to keep the head float (the most error-sensitive Linear). The embedding table is
    /// quantized too (a GatherBlockQuantized lookup), and a head tied to it shares its quantized bytes; with a tied
    /// head kept float, the table stays float as well, since the head reads it.
    /// </summary>
    public bool QuantizeLmHead { get; init; } = true;

    /// <summary>Checks the values against what MatMulNBits accepts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range (named in the exception).</exception>
    public void Validate()
    {
        if (BlockSize is int size && !SupportedBlockSizes.Contains(size))
            throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, $"Block size must be one of {string.Join(", ", SupportedBlockSizes)}.");
        if (AccuracyLevel is < 0 or > 4)
            throw new ArgumentOutOfRangeException(nameof(AccuracyLevel), AccuracyLevel, "Accuracy level must be 0 (unset), 1 (fp32), 2 (fp16), 3 (bf16) or 4 (int8).");
    }
}
