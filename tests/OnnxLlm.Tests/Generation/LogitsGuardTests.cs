using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class LogitsGuardTests
{
    [TestMethod]
    [DataRow(0)]
    [DataRow(77_777)]
    [DataRow(TestLogits.QwenVocab - 1)] // scalar tail when the length is not a multiple of the vector width
    public void NaN_ThrowsWithStepAndTokenId(int position)
    {
        float[] logits = TestLogits.Gaussian(1, TestLogits.QwenVocab);
        logits[position] = float.NaN;
        var ex = Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(logits, 12));
        Assert.AreEqual(12, ex.Step);
        Assert.AreEqual(InvalidLogitsKind.NaN, ex.Kind);
        Assert.AreEqual(position, ex.TokenId);
        StringAssert.Contains(ex.Message, "step 12");
    }

    [TestMethod]
    public void PositiveInfinity_Throws()
    {
        float[] logits = new float[1001];
        logits[500] = float.PositiveInfinity;
        var ex = Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(logits, 0));
        Assert.AreEqual(InvalidLogitsKind.PositiveInfinity, ex.Kind);
        Assert.AreEqual(500, ex.TokenId);
    }

    [TestMethod]
    [DataRow(1001)]
    [DataRow(3)]
    [DataRow(0)]
    public void AllNegativeInfinity_Throws(int length)
    {
        float[] logits = Enumerable.Repeat(float.NegativeInfinity, length).ToArray();
        var ex = Assert.ThrowsExactly<InvalidLogitsException>(() => LogitsGuard.ThrowIfInvalid(logits, 4));
        Assert.AreEqual(InvalidLogitsKind.AllNegativeInfinity, ex.Kind);
        Assert.AreEqual(-1, ex.TokenId);
    }

    [TestMethod]
    public void MaskedTokens_AreFine()
    {
        float[] logits = Enumerable.Repeat(float.NegativeInfinity, 1001).ToArray();
        logits[1000] = -3f;
        Assert.IsTrue(LogitsGuard.IsValid(logits));
        Assert.AreEqual(1000, new TokenSampler(new SamplingOptions { Seed = 1 }, logits.Length).Sample(logits));
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Sampler_ReportsTheStepItIsAt(bool greedy)
    {
        var sampler = new TokenSampler(new SamplingOptions { DoSample = !greedy, Seed = 1 }, 16);
        for (int i = 0; i < 3; i++)
        {
            sampler.Accept(sampler.Sample(new float[16]));
        }

        float[] bad = new float[16];
        bad[9] = float.NaN;
        var ex = Assert.ThrowsExactly<InvalidLogitsException>(() => sampler.Sample(bad));
        Assert.AreEqual(3, ex.Step);
        Assert.AreEqual(9, ex.TokenId);
    }
}
