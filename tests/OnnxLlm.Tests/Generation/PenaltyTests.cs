using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class PenaltyTests
{
    [TestMethod]
    public void RepetitionPenalty_HuggingFaceFormula_HandComputed()
    {
        float[] logits = [2.0f, -1.0f, 0.5f, 3.0f, -2.0f, 0.0f];
        // Prompt repeats token 1: the penalty still applies once. Token 3 comes from the generated text.
        var sampler = new TokenSampler(new SamplingOptions { RepetitionPenalty = 2f }, logits.Length, [0, 1, 1, 5]);
        sampler.Accept(3);
        sampler.ApplyPenalties(logits);

        // positive / 2, negative * 2, untouched ids unchanged, 0 stays 0.
        CollectionAssert.AreEqual(new[] { 1.0f, -2.0f, 0.5f, 1.5f, -2.0f, 0.0f }, logits);
    }

    [TestMethod]
    public void RepetitionPenalty_ChangesTheGreedyChoice()
    {
        // 3.0 / 1.1 = 2.727 < 2.9, so the seen token loses its lead.
        Assert.AreEqual(0, Greedy(new[] { 2.9f, 3.0f }, prompt: [1], new SamplingOptions { RepetitionPenalty = 1.1f }));

        // Negative logits are multiplied: -1.0 * 1.1 = -1.1 < -1.05.
        Assert.AreEqual(1, Greedy(new[] { -1.0f, -1.05f }, prompt: [0], new SamplingOptions { RepetitionPenalty = 1.1f }));
    }

    [TestMethod]
    public void PresenceAndFrequency_HaveTheirOpenAIMeanings_HandComputed()
    {
        float[] logits = Enumerable.Repeat(1.0f, 8).ToArray();
        var options = new SamplingOptions { PresencePenalty = 0.5f, FrequencyPenalty = 0.25f };
        var sampler = new TokenSampler(options, logits.Length, promptTokenIds: [7, 7, 6]);
        foreach (int id in new[] { 2, 2, 5, 2 })
        {
            sampler.Accept(id);
        }

        sampler.ApplyPenalties(logits);

        // id 2: seen 3x → 1 - 3*0.25 - 0.5 = -0.25; id 5: once → 1 - 0.25 - 0.5 = 0.25;
        // prompt ids 6 and 7 are not penalised (OpenAI penalties look at generated tokens only).
        CollectionAssert.AreEqual(new[] { 1f, 1f, -0.25f, 1f, 1f, 0.25f, 1f, 1f }, logits);
    }

    [TestMethod]
    public void PresenceOnly_IsIndependentOfCount_FrequencyOnly_IsProportional()
    {
        float[] presence = [1f, 1f, 1f];
        var p = new TokenSampler(new SamplingOptions { PresencePenalty = 0.5f }, 3);
        p.Accept(0);
        p.Accept(1);
        p.Accept(1);
        p.Accept(1);
        p.ApplyPenalties(presence);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.5f, 1f }, presence);

        float[] frequency = [1f, 1f, 1f];
        var f = new TokenSampler(new SamplingOptions { FrequencyPenalty = 0.5f }, 3);
        f.Accept(0);
        f.Accept(1);
        f.Accept(1);
        f.Accept(1);
        f.ApplyPenalties(frequency);
        CollectionAssert.AreEqual(new[] { 0.5f, -0.5f, 1f }, frequency);
    }

    [TestMethod]
    public void AllPenaltiesCombined_MatchLiteralReference()
    {
        var random = new Random(9);
        const int Vocab = 500;
        int[] prompt = Enumerable.Range(0, 60).Select(_ => random.Next(Vocab)).ToArray();
        int[] generated = Enumerable.Range(0, 200).Select(_ => random.Next(Vocab / 4)).ToArray();
        var options = new SamplingOptions { RepetitionPenalty = 1.3f, PresencePenalty = 0.4f, FrequencyPenalty = 0.15f };
        var sampler = new TokenSampler(options, Vocab, prompt);
        foreach (int id in generated)
        {
            sampler.Accept(id);
        }

        float[] logits = TestLogits.Gaussian(5, Vocab);
        float[] expected = SamplingReference.Penalize(logits, prompt, generated, 1.3f, 0.4f, 0.15f);
        sampler.ApplyPenalties(logits);
        for (int i = 0; i < Vocab; i++)
        {
            Assert.AreEqual(expected[i], logits[i], 1e-5f, $"token {i}");
        }
    }

    [TestMethod]
    public void Reset_ForgetsHistory_AndRecordsTheNewPrompt()
    {
        var sampler = new TokenSampler(new SamplingOptions { RepetitionPenalty = 2f, PresencePenalty = 1f }, 4, [0]);
        sampler.Accept(1);
        sampler.Reset([2]);
        Assert.AreEqual(0, sampler.GeneratedCount);

        float[] logits = [4f, 4f, 4f, 4f];
        sampler.ApplyPenalties(logits);
        CollectionAssert.AreEqual(new[] { 4f, 4f, 2f, 4f }, logits);
    }

    [TestMethod]
    public void Sample_AppliesPenaltiesBeforeChoosing()
    {
        var sampler = new TokenSampler(new SamplingOptions { DoSample = false, FrequencyPenalty = 1f }, 3);
        float[] row = [3f, 2.5f, 0f];
        Assert.AreEqual(0, sampler.Sample((float[])row.Clone()));
        sampler.Accept(0);
        Assert.AreEqual(1, sampler.Sample((float[])row.Clone())); // 3 - 1 = 2 < 2.5
    }

    private static int Greedy(float[] logits, int[] prompt, SamplingOptions options) =>
        new TokenSampler(options with { DoSample = false }, logits.Length, prompt).Sample(logits);
}
