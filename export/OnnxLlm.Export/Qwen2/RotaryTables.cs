namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// The cos/sin tables of Qwen2's rotary position embedding, [positions, head_dim / 2], for the
/// half-split pairing (element i rotates with element i + head_dim/2).
/// </summary>
internal static class RotaryTables
{
    /// <summary>
    /// Computes the tables the way transformers' Qwen2RotaryEmbedding does, step by step in float32
    /// (inv_freq = 1 / theta^(2i/d), angle = position × inv_freq), so that long positions round
    /// exactly as in the reference instead of drifting from a float64 computation.
    /// </summary>
    public static (float[] Cos, float[] Sin) Compute(int positions, int headDim, double theta)
    {
        int half = headDim / 2;
        var invFreq = new float[half];
        for (int i = 0; i < half; i++)
        {
            float exponent = (float)(2 * i) / headDim;
            float power = (float)Math.Pow(theta, exponent);
            invFreq[i] = 1.0f / power;
        }
        var cos = new float[(long)positions * half];
        var sin = new float[(long)positions * half];
        Parallel.For(0, positions, p =>
        {
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[(long)p * half + i] = (float)Math.Cos(angle);
                sin[(long)p * half + i] = (float)Math.Sin(angle);
            }
        });
        return (cos, sin);
    }
}
