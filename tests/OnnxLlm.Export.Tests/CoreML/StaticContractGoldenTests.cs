using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Tests.Exporting;
using OnnxLlm.Inference;
using OnnxLlm.Inference.StaticKv;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.CoreML;

/// <summary>
/// The coreml-target graphs, run here on the CPU execution provider through <see cref="StaticDecoderState"/>, against
/// transformers' goldens and against the cpu target: prompts of 1, 7 (one padded chunk) and 40 tokens (five chunks
/// of 8), token-by-token decoding through the host-managed KV buffer, and greedy continuations.
/// </summary>
[TestClass]
public sealed class StaticContractGoldenTests
{
    /// <summary>float32: float32 noise is ~1e-5 on logits of magnitude ~10 (same bound as the cpu target).</summary>
    private const double Fp32Tolerance = 1e-4;

    /// <summary>fp16: measured max error 6.1e-3 over the three cases (RMSNorm runs in fp32); the bound leaves 1.6× headroom.</summary>
    private const double Fp16Tolerance = 1e-2;

    public TestContext TestContext { get; set; } = null!;

    public static IEnumerable<object[]> Cases => Enumerable.Range(0, Golden.Instance.Cases.Count).Select(i => new object[] { i, Golden.Instance.Cases[i].Name });

    [TestMethod]
    public async Task LoadsAsStaticContract_AndCreatesStaticStates()
    {
        using var model = ModelRunner.Load(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32));
        Assert.IsNotNull(model.StaticContract);
        using var state = model.CreateState(32);
        Assert.IsInstanceOfType<StaticDecoderState>(state);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.CreateState(257), "capacity beyond the KV buffer");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_ChunkedPrefill_MatchesTransformers(int index, string name)
    {
        GoldenChecks.AssertLastLogitsWithin(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance, "fp32 coreml-target");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp16_ChunkedPrefill_StaysWithinStatedBound(int index, string name)
    {
        GoldenChecks.AssertLastLogitsWithin(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16), Golden.Instance.Cases[index], Fp16Tolerance, "fp16 coreml-target");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_TokenByTokenThroughHostKvBuffer_MatchesEveryPositionsTop10(int index, string name)
    {
        GoldenChecks.AssertEveryPositionTop10(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_GreedySixteenTokens_MatchGolden(int index, string name)
    {
        GoldenChecks.AssertGreedyTokensAndStepLogits(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp32, 40)]
    [DataRow(ExportPrecision.Fp32, 21)]
    [DataRow(ExportPrecision.Fp16, 40)]
    [DataRow(ExportPrecision.Fp16, 21)]
    public async Task GreedyTokens_EqualTheCpuTarget_ForPromptsLongerThanAChunk(ExportPrecision precision, int promptLength)
    {
        var prompt = Golden.Instance.Cases.MaxBy(c => c.InputIds.Length)!.InputIds[..promptLength];
        Assert.IsGreaterThan(TestModels.TinyCoreMLChunk, prompt.Length);
        const int steps = 24;
        var (coreml, coremlLogits) = Greedy(await TestModels.TinyCoreMLAsync(precision), prompt, steps);
        var (cpu, cpuLogits) = Greedy(await TestModels.TinyAsync(precision), prompt, steps);
        double diff = Enumerable.Range(0, steps).Max(i => ModelRunner.MaxAbsDiff(coremlLogits[i], cpuLogits[i]));
        TestContext.WriteLine($"{precision} prompt {promptLength}: coreml [{string.Join(", ", coreml)}] cpu [{string.Join(", ", cpu)}], max |logit diff| over the steps {diff:E3}");
        CollectionAssert.AreEqual(cpu, coreml);
        // Tokens of a random tiny model repeat a lot; the logits at every step are the stronger check.
        Assert.IsLessThanOrEqualTo(precision == ExportPrecision.Fp32 ? Fp32Tolerance : 2 * Fp16Tolerance, diff);
    }

    [TestMethod]
    public async Task MixedPrefillAndDecodeCalls_EqualOnePrefill()
    {
        // Pieces of 5 (one padded chunk), 1 (decode graph), 13 (a full chunk + a padded one), 1, 1 and 19: the decode
        // mask must catch up after prefills, and prefill masks must see tokens that decode steps stored.
        var ids = Golden.Instance.Cases[2].InputIds;
        using var model = ModelRunner.Load(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32));
        using var whole = model.CreateState(ids.Length);
        var expected = whole.Prefill(ids).ToArray();
        using var pieces = model.CreateState(ids.Length);
        int offset = 0;
        foreach (int n in new[] { 5, 1, 13, 1, 1, 19 })
        {
            if (n == 1) pieces.Decode(ids[offset]);
            else pieces.Prefill(ids.AsSpan(offset, n));
            offset += n;
        }
        Assert.AreEqual(ids.Length, offset);
        Assert.IsLessThanOrEqualTo(1e-5, ModelRunner.MaxAbsDiff(pieces.Logits, expected));
    }

    [TestMethod]
    public async Task ResetState_ServesANewSequence_AsAFreshOne()
    {
        var ids = Golden.Instance.Cases[2].InputIds;
        using var model = ModelRunner.Load(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32));
        using var fresh = model.CreateState(64);
        var expected = fresh.Prefill(ids[..13]).ToArray();
        using var reused = model.CreateState(64);
        reused.Prefill(ids);
        reused.Decode(5);
        reused.Reset();
        Assert.AreEqual(0, reused.Length);
        Assert.IsLessThanOrEqualTo(1e-6, ModelRunner.MaxAbsDiff(reused.Prefill(ids[..13]), expected));
        Assert.AreEqual(13, reused.Length);
    }

    [TestMethod]
    public async Task Overflow_IsRefused_WithoutCorruptingTheState()
    {
        using var model = ModelRunner.Load(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32));
        using var state = model.CreateState(10);
        state.Prefill(Golden.Instance.Cases[2].InputIds[..9]);
        state.Decode(1);
        Assert.ThrowsExactly<InvalidOperationException>(() => state.Decode(2));
        Assert.AreEqual(10, state.Length);
    }

    [TestMethod]
    public async Task DecodeStep_AllocatesNothingManaged_InSteadyState()
    {
        using var model = ModelRunner.Load(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16));
        using var state = model.CreateState(200);
        state.Prefill(Golden.Instance.Cases[2].InputIds);
        for (int i = 0; i < 4; i++) state.Decode(100 + i); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 32; i++) state.Decode(200 + i);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.AreEqual(0L, allocated, $"{allocated} managed bytes over 32 decode steps");
    }

    private static (int[] Tokens, float[][] Logits) Greedy(string folder, int[] prompt, int steps)
    {
        using var model = ModelRunner.Load(folder);
        using var state = model.CreateState(prompt.Length + steps);
        var logits = state.Prefill(prompt);
        var tokens = new int[steps];
        var all = new float[steps][];
        for (int i = 0; i < steps; i++)
        {
            all[i] = logits.ToArray();
            tokens[i] = ModelRunner.ArgMax(logits);
            if (i + 1 < steps) logits = state.Decode(tokens[i]);
        }
        return (tokens, all);
    }
}
