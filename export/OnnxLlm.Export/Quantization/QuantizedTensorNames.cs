namespace OnnxLlm.Export.Quantization;

/// <summary>Names of the initializers a quantized checkpoint weight becomes (shared by the writer and the tests that read them).</summary>
internal static class QuantizedTensorNames
{
    /// <summary>Suffix of the float scales.</summary>
    public const string ScalesSuffix = "_scales";

    /// <summary>Suffix of MatMulNBits' packed zero points.</summary>
    public const string ZeroPointsSuffix = "_zero_points";

    /// <summary>Suffix of the one-byte-per-block zero points that GatherBlockQuantized reads.</summary>
    public const string BlockZeroPointsSuffix = "_block_zero_points";

    /// <summary>The codes' name, also the prefix of the others: the checkpoint name + <c>_Q4</c> / <c>_Q8</c>.</summary>
    public static string Prefix(string checkpointName, int bits) => $"{checkpointName}_Q{bits}";
}
