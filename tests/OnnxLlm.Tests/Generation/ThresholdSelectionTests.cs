using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class ThresholdSelectionTests
{
    [TestMethod]
    public void KthLargest_MatchesSort_WithDuplicates()
    {
        var random = new Random(1);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = random.Next(1, 300);
            // Few distinct values on odd trials, so duplicates straddle the k-th position.
            float[] values = Enumerable.Range(0, n)
                .Select(_ => trial % 2 == 0 ? (float)random.NextDouble() : random.Next(5))
                .ToArray();
            int k = random.Next(1, n + 1);
            float expected = values.OrderByDescending(x => x).ElementAt(k - 1);
            Assert.AreEqual(expected, ThresholdSelection.KthLargest((float[])values.Clone(), k), $"trial {trial}");
        }
    }

    [TestMethod]
    public void NucleusThreshold_MatchesNaiveDefinition()
    {
        var random = new Random(2);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = random.Next(1, 300);
            float[] weights = Enumerable.Range(0, n)
                .Select(_ => trial % 3 == 0 ? random.Next(1, 4) / 4f : (float)Math.Exp(-5 * random.NextDouble()))
                .ToArray();
            double total = weights.Sum(w => (double)w);
            double p = random.NextDouble();

            // Naive: the largest w whose strictly-greater mass is < p * total.
            float expected = weights.Where(w => weights.Where(x => x > w).Sum(x => (double)x) < p * total).Min();
            Assert.AreEqual(expected, ThresholdSelection.NucleusThreshold((float[])weights.Clone(), p * total), $"trial {trial}");
        }
    }

    [TestMethod]
    [DataRow(3.0, 0.9, 0.0)]
    [DataRow(3.0, 0.5, 0.0)]
    [DataRow(8.0, 0.97, 0.0)]   // nearly uniform
    [DataRow(1.0, 0.99, 0.0)]   // heavy tail: the boundary is deep in the tail
    [DataRow(3.0, 0.6, 0.3)]    // min-p decides
    [DataRow(5.0, 0.3, 0.05)]   // nucleus decides
    public void DenseNucleusThreshold_MatchesNaiveSortOnAFullRow(double temperature, double p, double minP)
    {
        float[] logits = TestLogits.LlmLike(51);
        float max = logits.Max();
        float[] weights = logits.Select(l => MathF.Exp((l - max) / (float)temperature)).ToArray();
        double total = weights.Sum(w => (double)w);
        double massAtMinP = weights.Where(w => w >= minP).Sum(w => (double)w);

        float actual = ThresholdSelection.DenseNucleusThreshold(
            weights, p * total, (float)minP, massAtMinP, new float[weights.Length]);

        // Naive: walk weights in descending order; the threshold is the last weight whose strictly-greater mass is < target.
        float[] sorted = weights.OrderByDescending(w => w).ToArray();
        double prefix = 0, above = 0;
        float nucleus = sorted[0];
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i == 0 || sorted[i] < sorted[i - 1])
            {
                above = prefix; // mass strictly greater than sorted[i]
            }

            if (above >= p * total)
            {
                break;
            }

            nucleus = sorted[i];
            prefix += sorted[i];
        }

        Assert.AreEqual(Math.Max(nucleus, (float)minP), actual);
    }

    [TestMethod]
    public void NucleusThreshold_ZeroTarget_KeepsOnlyTheMaximum()
    {
        Assert.AreEqual(0.9f, ThresholdSelection.NucleusThreshold(new[] { 0.1f, 0.9f, 0.5f }, 0));
    }
}
