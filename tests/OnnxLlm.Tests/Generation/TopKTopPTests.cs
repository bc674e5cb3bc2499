using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class TopKTopPTests
{
    [TestMethod]
    [DataRow(1, 0.7f)]
    [DataRow(20, 0.7f)]
    [DataRow(50, 1.0f)]
    [DataRow(1000, 2.0f)]
    public void TopK_NeverLeavesTheKHighest_FullVocabulary(int k, float temperature)
    {
        float[] logits = TestLogits.LlmLike(11);
        var allowed = new HashSet<int>(Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(k));
        var drawn = DrawSet(new SamplingOptions { TopK = k, Temperature = temperature, Seed = 5 }, logits, 300);

        Assert.IsTrue(drawn.IsSubsetOf(allowed), $"drew {string.Join(",", drawn.Except(allowed))} outside the top {k}");
        if (k >= 20)
        {
            Assert.IsTrue(drawn.Count > 3, "expected a spread of tokens");
        }
    }

    [TestMethod]
    public void TopK_KeepsTiesWithTheKth_LikeHuggingFace()
    {
        float[] logits = [5f, 1f, 5f, 0f, 5f];
        int[] counts = TokenSamplerTests.Draw(new SamplingOptions { TopK = 2, Seed = 1 }, logits, 3000);
        TokenSamplerTests.AssertMatches(counts, [1 / 3.0, 0, 1 / 3.0, 0, 1 / 3.0]);
    }

    [TestMethod]
    [DataRow(0.7f, 0.8f, 0)]
    [DataRow(1.0f, 0.95f, 0)]
    [DataRow(3.0f, 0.9f, 0)]  // flat: the nucleus holds most of the vocabulary, exercising the widening pre-filter
    [DataRow(0.7f, 0.8f, 20)]
    [DataRow(1.5f, 0.5f, 500)]
    public void TopP_NeverLeavesTheNaiveNucleus_FullVocabulary(float temperature, float topP, int topK)
    {
        float[] logits = TestLogits.LlmLike(21);
        double[] reference = SamplingReference.Distribution(logits, temperature, topK, topP);
        HashSet<int> nucleus = SamplingReference.Support(reference);
        var options = new SamplingOptions { Temperature = temperature, TopP = topP, TopK = topK, Seed = 8 };
        var drawn = DrawSet(options, logits, 300);

        Assert.IsTrue(drawn.IsSubsetOf(nucleus), $"drew {string.Join(",", drawn.Except(nucleus))} outside the nucleus");
        Assert.IsTrue(drawn.Count > 1, "degenerate test: only one token drawn");
    }

    [TestMethod]
    public void TopP_MatchesNaiveReference_OnManyRandomSmallRows()
    {
        var random = new Random(77);
        for (int trial = 0; trial < 300; trial++)
        {
            int vocab = random.Next(2, 60);
            float[] logits = TestLogits.Gaussian(trial, vocab, 2f);
            float temperature = 0.3f + (float)random.NextDouble() * 1.5f;
            float topP = (float)random.NextDouble();
            int topK = random.Next(0, vocab + 2);
            float minP = random.Next(3) == 0 ? (float)random.NextDouble() * 0.3f : 0f;
            HashSet<int> support = SamplingReference.Support(SamplingReference.Distribution(logits, temperature, topK, topP, minP));

            var options = new SamplingOptions { Temperature = temperature, TopP = topP, TopK = topK, MinP = minP, Seed = trial };
            var drawn = DrawSet(options, logits, 100);
            Assert.IsTrue(
                drawn.IsSubsetOf(support),
                $"trial {trial}: T={temperature} p={topP} k={topK} minP={minP}: drew {string.Join(",", drawn.Except(support))}");
        }
    }

    [TestMethod]
    public void TopPZero_And_MinPOne_KeepOnlyTheMostLikelyToken()
    {
        float[] logits = TestLogits.LlmLike(4);
        int argmax = TestLogits.NaiveArgMax(logits);
        CollectionAssert.AreEqual(new[] { argmax }, DrawSet(new SamplingOptions { TopP = 0f, Seed = 1 }, logits, 50).ToArray());
        CollectionAssert.AreEqual(new[] { argmax }, DrawSet(new SamplingOptions { MinP = 1f, Seed = 1 }, logits, 50).ToArray());
    }

    [TestMethod]
    public void MinP_NeverReturnsTokensBelowTheRelativeFloor_FullVocabulary()
    {
        float[] logits = TestLogits.LlmLike(31);
        HashSet<int> support = SamplingReference.Support(SamplingReference.Distribution(logits, 1.0, minP: 0.05));
        var drawn = DrawSet(new SamplingOptions { MinP = 0.05f, Seed = 3 }, logits, 300);
        Assert.IsTrue(drawn.IsSubsetOf(support));
        Assert.IsTrue(drawn.Count > 1);
    }

    [TestMethod]
    [DataRow(1.0f, 0, 1f, 0f)]      // plain: dense inverse-CDF over blocks
    [DataRow(1.0f, 0, 1f, 0.002f)]  // min-p only: dense draw with a threshold
    [DataRow(0.7f, 0, 0.9f, 0f)]    // top-p, nucleus inside the gathered candidates
    [DataRow(3.0f, 0, 0.9f, 0f)]    // top-p, flat: nucleus of ~100k tokens, dense bisection path
    [DataRow(3.0f, 0, 0.6f, 0.3f)]  // top-p + min-p on the dense path
    [DataRow(2.0f, 2000, 0.8f, 0f)] // large top-k then top-p on the candidate list
    public void Frequencies_MatchReference_FullVocabulary(float temperature, int topK, float topP, float minP)
    {
        // Tokens are binned by reference probability rank into 10 bins of equal reference mass; a nucleus cut even
        // a few percent too short or too long, or a skewed draw, shows up as a chi-square blow-up.
        float[] logits = TestLogits.LlmLike(41);
        double[] reference = SamplingReference.Distribution(logits, temperature, topK, topP, minP);
        int[] byRank = Enumerable.Range(0, logits.Length).Where(i => reference[i] > 0).OrderByDescending(i => reference[i]).ToArray();
        var bin = new Dictionary<int, int>();
        double cumulative = 0;
        const int Bins = 10;
        var binMass = new double[Bins];
        foreach (int id in byRank)
        {
            int b = Math.Min(Bins - 1, (int)(cumulative * Bins));
            bin[id] = b;
            binMass[b] += reference[id];
            cumulative += reference[id];
        }

        var options = new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP, Seed = 17 };
        var sampler = new TokenSampler(options, logits.Length);
        var work = new float[logits.Length];
        var counts = new int[Bins];
        const int Draws = 4000;
        for (int i = 0; i < Draws; i++)
        {
            logits.CopyTo(work, 0);
            int token = sampler.Sample(work);
            Assert.IsTrue(bin.TryGetValue(token, out int b), $"token {token} is outside the reference support");
            counts[b]++;
        }

        // (A single dominant token can leave some bins empty; those expect, and get, zero draws.)
        TokenSamplerTests.AssertMatches(counts, binMass);
    }

    private static HashSet<int> DrawSet(SamplingOptions options, float[] logits, int draws)
    {
        var sampler = new TokenSampler(options, logits.Length);
        var work = new float[logits.Length];
        var drawn = new HashSet<int>();
        for (int i = 0; i < draws; i++)
        {
            logits.CopyTo(work, 0);
            drawn.Add(sampler.Sample(work));
        }

        return drawn;
    }
}
