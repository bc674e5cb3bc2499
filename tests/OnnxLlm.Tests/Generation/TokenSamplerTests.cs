using System.Diagnostics;
using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

/// <summary>Sampling against hand-computed values, a naive sort-based reference, and distribution statistics.</summary>
[TestClass]
public sealed class TokenSamplerTests
{
    private static float[] RandomLogits(int n, int seed, float scale = 3f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    private static double[] Softmax(float[] logits, float temperature)
    {
        double max = logits.Max();
        var e = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    [TestMethod]
    public void Greedy_IsArgmax_TiesGoToTheLowestId()
    {
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0 }, 6);
        Assert.AreEqual(2, sampler.Sample(new float[] { 1, 3, 5, 5, -1, 0 }));
        var random = RandomLogits(1000, 1);
        Assert.AreEqual(Array.IndexOf(random, random.Max()), new TokenSampler(new SamplingOptions { Temperature = 0, Seed = 9 }, 1000).Sample(random.ToArray()));
    }

    [TestMethod]
    public void SameSeed_SameSequence_DifferentSeed_DifferentSequence()
    {
        int[] Run(long seed)
        {
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 1, Seed = seed }, 500);
            return Enumerable.Range(0, 200).Select(i => sampler.Sample(RandomLogits(500, i, 0.5f))).ToArray();
        }
        CollectionAssert.AreEqual(Run(7), Run(7));
        CollectionAssert.AreNotEqual(Run(7), Run(8));
    }

    [TestMethod]
    public void SampledFrequencies_FollowSoftmaxOverTemperature()
    {
        var logits = new float[] { 2.0f, 1.0f, 0.5f, 0f, -1f, -3f };
        const float temperature = 0.8f;
        var expected = Softmax(logits, temperature);
        var sampler = new TokenSampler(new SamplingOptions { Temperature = temperature, Seed = 123 }, logits.Length);
        const int draws = 20_000;
        var counts = new int[logits.Length];
        for (int i = 0; i < draws; i++) counts[sampler.Sample(logits.ToArray())]++;
        double chiSquare = counts.Select((c, i) => Math.Pow(c - draws * expected[i], 2) / (draws * expected[i])).Sum();
        // 5 degrees of freedom: P(χ² > 20.5) ≈ 0.001, so a correct sampler fails this about once in a thousand seeds.
        Assert.IsLessThan(20.5, chiSquare, $"χ² = {chiSquare}; counts {string.Join(",", counts)}");
    }

    [TestMethod]
    public void TopK_NeverLeavesTheKHighest()
    {
        var logits = RandomLogits(2000, 5);
        var allowed = logits.Select((v, i) => (v, i)).OrderByDescending(x => x.v).Take(7).Select(x => x.i).ToHashSet();
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 5f, TopK = 7, Seed = 1 }, logits.Length);
        var seen = new HashSet<int>();
        for (int i = 0; i < 3000; i++) seen.Add(sampler.Sample(logits.ToArray()));
        Assert.IsTrue(seen.IsSubsetOf(allowed), "sampled outside the top-k");
        Assert.HasCount(7, seen, "at a high temperature every top-k token should appear");
    }

    [TestMethod]
    [DataRow(0.5f, null)]
    [DataRow(0.9f, null)]
    [DataRow(0.9f, 50)]
    public void TopP_NeverLeavesTheNucleusOfANaiveReference(float topP, int? topK)
    {
        var logits = RandomLogits(3000, 11, 4f);
        // Reference: sort by probability, keep the smallest prefix reaching p (after top-k, if any).
        var probabilities = Softmax(logits, 1f);
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => probabilities[i]).Take(topK ?? logits.Length).ToArray();
        double mass = order.Sum(i => probabilities[i]), cumulative = 0;
        var nucleus = new HashSet<int>();
        foreach (int i in order)
        {
            nucleus.Add(i);
            cumulative += probabilities[i];
            if (cumulative >= topP * mass) break;
        }
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1, TopP = topP, TopK = topK, Seed = 3 }, logits.Length);
        var seen = new HashSet<int>();
        for (int i = 0; i < 4000; i++) seen.Add(sampler.Sample(logits.ToArray()));
        Assert.IsTrue(seen.IsSubsetOf(nucleus), $"sampled {seen.Except(nucleus).Count()} tokens outside the nucleus of {nucleus.Count}");
        Assert.IsGreaterThan(nucleus.Count / 2, seen.Count, "most of the nucleus should be reachable");
    }

    [TestMethod]
    public void MinP_DropsTokensBelowTheFractionOfTheTop()
    {
        var logits = new float[] { 0f, -0.5f, -2.0f, -3.0f }; // p relative to top: 1, 0.61, 0.14, 0.05
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 1, MinP = 0.2f, Seed = 4 }, 4);
        var seen = new HashSet<int>();
        for (int i = 0; i < 2000; i++) seen.Add(sampler.Sample(logits.ToArray()));
        CollectionAssert.AreEquivalent(new[] { 0, 1 }, seen.ToArray());
    }

    [TestMethod]
    public void RepetitionPenalty_DividesPositiveAndMultipliesNegativeLogits_OfPromptAndOutputTokens()
    {
        // Greedy makes the adjusted logits observable: token 0 (in the prompt) drops from 2.0 to 2.0/2 = 1.0,
        // below token 1's 1.5; token 2 (-1, in the prompt) becomes -2, still below token 3's -1.5.
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 2f }, 4, [0, 2, 0]);
        var logits = new float[] { 2.0f, 1.5f, -1.0f, -1.5f };
        Assert.AreEqual(1, sampler.Sample(logits));
        CollectionAssert.AreEqual(new[] { 1.0f, 1.5f, -2.0f, -1.5f }, logits, "token 1 is only penalised once it has been chosen");
        var next = new float[] { 2.0f, 1.5f, -1.0f, -1.5f };
        sampler.Sample(next);
        CollectionAssert.AreEqual(new[] { 1.0f, 0.75f, -2.0f, -1.5f }, next, "the output token 1 is penalised once, however often seen");
    }

    [TestMethod]
    public void PresenceAndFrequencyPenalties_HaveTheirDistinctMeanings()
    {
        // Output so far: token 1 three times, token 2 once. presence 0.5 subtracts once per distinct token;
        // frequency 0.25 subtracts per occurrence. The prompt (token 3) is not penalised.
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0, PresencePenalty = 0.5f, FrequencyPenalty = 0.25f }, 4, [3]);
        foreach (int forced in new[] { 1, 1, 1, 2 })
        {
            var onehot = new float[4];
            onehot[forced] = 100;
            Assert.AreEqual(forced, sampler.Sample(onehot));
        }
        var logits = new float[] { 0, 0, 0, 0 };
        sampler.Sample(logits);
        CollectionAssert.AreEqual(new[] { 0f, -(0.5f + 0.25f * 3), -(0.5f + 0.25f * 1), 0f }, logits);
    }

    [TestMethod]
    [DataRow("Temperature")]
    [DataRow("TopK")]
    [DataRow("TopP")]
    [DataRow("MinP")]
    [DataRow("RepetitionPenalty")]
    [DataRow("PresencePenalty")]
    [DataRow("FrequencyPenalty")]
    public void OutOfRangeOption_IsRejectedByName(string option)
    {
        var bad = option switch
        {
            "Temperature" => new SamplingOptions { Temperature = -1 },
            "TopK" => new SamplingOptions { TopK = -2 },
            "TopP" => new SamplingOptions { TopP = 1.5f },
            "MinP" => new SamplingOptions { MinP = 1f },
            "RepetitionPenalty" => new SamplingOptions { RepetitionPenalty = 0 },
            "PresencePenalty" => new SamplingOptions { PresencePenalty = 3 },
            _ => new SamplingOptions { FrequencyPenalty = float.NaN },
        };
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TokenSampler(bad, 10));
        Assert.AreEqual(option, ex.ParamName);
    }

    [TestMethod]
    public void InvalidLogits_AreRejectedNamingTheStep()
    {
        var logits = RandomLogits(100, 2);
        LogitsGuard.ThrowIfInvalid(logits, 0);
        logits[37] = float.NaN;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(logits, 5)).Message, "step 5");
        logits[37] = float.PositiveInfinity;
        Assert.AreEqual(6, Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(logits, 6)).Step);
        var masked = Enumerable.Repeat(float.NegativeInfinity, 10).ToArray();
        Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(masked, 0));
        masked[3] = 1; // −∞ elsewhere is legitimate masking
        LogitsGuard.ThrowIfInvalid(masked, 0);
    }

    [TestMethod]
    [DataRow(0f, null, null)]
    [DataRow(0.7f, 20, 0.8f)]
    [DataRow(1.0f, null, 0.9f)]
    [DataRow(1.0f, null, null)]
    public void SamplingAFullVocabularyRow_AllocatesNothing(float temperature, int? topK, float? topP)
    {
        const int vocab = 151_936;
        var source = RandomLogits(vocab, 77);
        var row = new float[vocab];
        var sampler = new TokenSampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, Seed = 1, RepetitionPenalty = 1.1f, FrequencyPenalty = 0.1f }, vocab, [1, 2, 3]);
        for (int i = 0; i < 20; i++) { source.CopyTo(row, 0); sampler.Sample(row); } // warm up (JIT, tiering)
        var stopwatch = new Stopwatch();
        long before = GC.GetAllocatedBytesForCurrentThread();
        stopwatch.Start();
        const int steps = 200;
        for (int i = 0; i < steps; i++) { source.CopyTo(row, 0); sampler.Sample(row); }
        stopwatch.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // The timing is printed for the record, never asserted.
        Console.WriteLine($"T={temperature} top_k={topK} top_p={topP}: {stopwatch.Elapsed.TotalMicroseconds / steps:0} µs per token over {vocab} logits (incl. a 600 KB copy)");
        Assert.AreEqual(0L, allocated, $"{allocated} bytes over {steps} samples");
    }
}
