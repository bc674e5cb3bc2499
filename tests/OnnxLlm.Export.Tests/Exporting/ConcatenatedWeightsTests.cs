using OnnxLlm.Export.Checkpoints;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>Stacked tensors read in place from their parts: any slice equals the same slice of the real concatenation.</summary>
[TestClass]
public sealed class ConcatenatedWeightsTests
{
    private static readonly Dictionary<string, float[]> Values = new()
    {
        ["q"] = Enumerable.Range(0, 4 * 3).Select(i => (float)i).ToArray(),        // [4, 3]
        ["k"] = Enumerable.Range(100, 2 * 3).Select(i => (float)i).ToArray(),      // [2, 3]
        ["v"] = Enumerable.Range(200, 2 * 3).Select(i => (float)i).ToArray(),      // [2, 3]
        ["odd"] = Enumerable.Range(300, 2 * 4).Select(i => (float)i).ToArray(),    // [2, 4]
    };

    private static readonly Dictionary<string, long[]> Shapes = new()
    {
        ["q"] = [4, 3], ["k"] = [2, 3], ["v"] = [2, 3], ["odd"] = [2, 4],
    };

    private static ConcatenatedWeights Create() => new(new InMemoryWeights(), new Dictionary<string, string[]>
    {
        ["qkv"] = ["q", "k", "v"],
        ["bad"] = ["q", "odd"],
        ["missing"] = ["q", "nothing"],
    });

    [TestMethod]
    public void EverySlice_EqualsTheSameSliceOfTheConcatenation()
    {
        var weights = Create();
        CollectionAssert.AreEqual(new long[] { 8, 3 }, weights.GetShape("qkv").ToArray());
        float[] expected = [.. Values["q"], .. Values["k"], .. Values["v"]];
        for (int start = 0; start < expected.Length; start++)
            for (int length = 0; start + length <= expected.Length; length++)
            {
                var slice = new float[length];
                weights.ReadAsFloat32("qkv", start, slice);
                CollectionAssert.AreEqual(expected[start..(start + length)], slice, $"[{start}, {start + length})");
            }
    }

    [TestMethod]
    public void OtherNames_ReadThrough()
    {
        var weights = Create();
        Assert.IsTrue(weights.Contains("odd"));
        var row = new float[4];
        weights.ReadAsFloat32("odd", 4, row);
        CollectionAssert.AreEqual(Values["odd"][4..], row);
    }

    [TestMethod]
    public void PartsOfDifferentWidth_AreRefusedNamingThem()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => Create().GetShape("bad"));
        StringAssert.Contains(error.Message, "'odd'");
        StringAssert.Contains(error.Message, "'bad'");
    }

    [TestMethod]
    public void AMissingPart_MeansTheStackIsMissing()
    {
        var weights = Create();
        Assert.IsFalse(weights.Contains("missing"));
        Assert.IsTrue(weights.Contains("qkv"));
    }

    [TestMethod]
    public void ARangePastTheEnd_IsRefusedBeforeAnyRead()
    {
        var weights = Create();
        var destination = new float[4];
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => weights.ReadAsFloat32("qkv", 21, destination));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => weights.ReadAsFloat32("qkv", -1, destination));
        CollectionAssert.AreEqual(new float[4], destination, "nothing written");
    }

    private sealed class InMemoryWeights : ICheckpointWeights
    {
        public bool Contains(string name) => Values.ContainsKey(name);

        public IReadOnlyList<long> GetShape(string name) => Shapes.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException(name);

        public void ReadAsFloat32(string name, long elementOffset, Span<float> destination) =>
            Values[name].AsSpan(checked((int)elementOffset), destination.Length).CopyTo(destination);
    }
}
