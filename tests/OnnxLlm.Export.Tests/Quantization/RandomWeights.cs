namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>Seeded Gaussian-ish values for quantization tests (weights of LLM Linears are roughly normal).</summary>
internal static class RandomWeights
{
    public static float[] Normal(int count, int seed, float std = 0.05f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            // Box–Muller: enough for test data, and deterministic across runtimes for a given seed.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            values[i] = (float)(std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }
}
