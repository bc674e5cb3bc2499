namespace OnnxLlm.Tests.Generation;

/// <summary>
/// Deliberately naive, sort-based reference implementations (double precision) used as test oracles for the
/// optimised sampler. Written straight from the Hugging Face / paper definitions, sharing no code with it.
/// </summary>
internal static class SamplingReference
{
    /// <summary>
    /// Final sampling distribution after temperature → top-k → top-p → min-p (HF order), in double precision.
    /// Ties at the top-k / top-p boundary are kept (our documented rule).
    /// </summary>
    public static double[] Distribution(float[] logits, double temperature, int topK = 0, double topP = 1, double minP = 0)
    {
        int n = logits.Length;
        bool[] keep = new bool[n];
        for (int i = 0; i < n; i++)
        {
            keep[i] = !float.IsNegativeInfinity(logits[i]);
        }

        if (topK > 0 && topK < n)
        {
            float kth = logits.OrderByDescending(x => x).ElementAt(topK - 1);
            for (int i = 0; i < n; i++)
            {
                keep[i] &= logits[i] >= kth;
            }
        }

        double max = logits.Max();
        double[] p = Softmax(logits, temperature, keep, max);

        if (topP < 1)
        {
            int[] order = Enumerable.Range(0, n).Where(i => keep[i]).OrderByDescending(i => p[i]).ToArray();
            // Keep a token iff the mass of tokens strictly more likely than it is < p (HF TopP, ties kept);
            // the most likely token(s) always survive.
            double strictlyAbove = 0, groupMass = 0;
            for (int r = 0; r < order.Length; r++)
            {
                int id = order[r];
                if (r > 0 && p[id] < p[order[r - 1]])
                {
                    strictlyAbove += groupMass;
                    groupMass = 0;
                }

                groupMass += p[id];
                keep[id] = strictlyAbove < topP || strictlyAbove == 0;
            }

            p = Softmax(logits, temperature, keep, max);
        }

        if (minP > 0)
        {
            double top = p.Max();
            for (int i = 0; i < n; i++)
            {
                keep[i] &= p[i] >= minP * top;
            }

            p = Softmax(logits, temperature, keep, max);
        }

        return p;
    }

    /// <summary>Set of token ids with non-zero probability under <see cref="Distribution"/>.</summary>
    public static HashSet<int> Support(double[] distribution) =>
        [.. Enumerable.Range(0, distribution.Length).Where(i => distribution[i] > 0)];

    /// <summary>Pearson chi-square statistic of observed counts against a distribution (zero-probability cells excluded).</summary>
    public static double ChiSquare(int[] observed, double[] distribution, out int degreesOfFreedom)
    {
        long total = observed.Sum(x => (long)x);
        double chi = 0;
        degreesOfFreedom = -1;
        for (int i = 0; i < observed.Length; i++)
        {
            if (distribution[i] > 0)
            {
                double expected = total * distribution[i];
                chi += (observed[i] - expected) * (observed[i] - expected) / expected;
                degreesOfFreedom++;
            }
        }

        return chi;
    }

    /// <summary>Approximate 99.9th percentile of chi-square (Wilson–Hilferty); a false alarm rate of 1/1000 per seed.</summary>
    public static double ChiSquareCritical999(int degreesOfFreedom)
    {
        double k = degreesOfFreedom;
        double a = 2.0 / (9.0 * k);
        return k * Math.Pow(1 - a + (3.090 * Math.Sqrt(a)), 3);
    }

    /// <summary>HF repetition penalty then OpenAI presence/frequency penalties, written out literally.</summary>
    public static float[] Penalize(
        float[] logits, int[] prompt, int[] generated, float repetition, float presence, float frequency)
    {
        float[] result = (float[])logits.Clone();
        foreach (int id in prompt.Concat(generated).Distinct())
        {
            result[id] = result[id] < 0 ? result[id] * repetition : result[id] / repetition;
        }

        foreach (var group in generated.GroupBy(id => id))
        {
            result[group.Key] = result[group.Key] - (group.Count() * frequency) - presence;
        }

        return result;
    }

    private static double[] Softmax(float[] logits, double temperature, bool[] keep, double max)
    {
        double[] p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            if (keep[i])
            {
                p[i] = Math.Exp((logits[i] - max) / temperature);
                sum += p[i];
            }
        }

        for (int i = 0; i < p.Length; i++)
        {
            p[i] /= sum;
        }

        return p;
    }
}
