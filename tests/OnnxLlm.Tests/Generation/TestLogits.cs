namespace OnnxLlm.Tests.Generation;

/// <summary>Test-data generators (System.Random is fine here: only the sampler under test must be seed-stable).</summary>
internal static class TestLogits
{
    public const int QwenVocab = 151_936;

    /// <summary>Gaussian logits with standard deviation <paramref name="scale"/>.</summary>
    public static float[] Gaussian(int seed, int length, float scale = 3f)
    {
        var random = new Random(seed);
        var logits = new float[length];
        for (int i = 0; i < length; i++)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            logits[i] = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return logits;
    }

    /// <summary>LLM-like row: Gaussian background plus a few strong candidates at random ids.</summary>
    public static float[] LlmLike(int seed, int length = QwenVocab)
    {
        float[] logits = Gaussian(seed, length, 2.5f);
        var random = new Random(seed + 1);
        for (int i = 0; i < 30; i++)
        {
            logits[random.Next(length)] = 12f + (float)(random.NextDouble() * 8);
        }

        return logits;
    }

    public static int NaiveArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        return best;
    }
}
