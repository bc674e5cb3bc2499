using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class Xoshiro256StarStarTests
{
    // Expected words computed independently (Python transcription of the reference C code of xoshiro256** 1.0
    // seeded by splitmix64). If this test ever fails, seeded generations stopped being reproducible.
    [TestMethod]
    [DataRow(0L, 0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL, 0x6AA594F1262D2D2CUL)]
    [DataRow(42L, 0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL, 0xECB8AD4703B360A1UL)]
    [DataRow(-1L, 0x8F5520D52A7EAD08UL, 0xC476A018CAA1802DUL, 0x81DE31C0D260469EUL, 0xBF658D7E065F3C2FUL)]
    public void Sequence_MatchesReference(long seed, ulong a, ulong b, ulong c, ulong d)
    {
        var rng = new Xoshiro256StarStar(seed);
        Assert.AreEqual(a, rng.NextUInt64());
        Assert.AreEqual(b, rng.NextUInt64());
        Assert.AreEqual(c, rng.NextUInt64());
        Assert.AreEqual(d, rng.NextUInt64());
    }

    [TestMethod]
    public void NextDouble_IsTop53BitsScaled()
    {
        var rng = new Xoshiro256StarStar(42);
        Assert.AreEqual((0x15780B2E0C2EC716UL >> 11) / 9007199254740992.0, rng.NextDouble());
    }
}
