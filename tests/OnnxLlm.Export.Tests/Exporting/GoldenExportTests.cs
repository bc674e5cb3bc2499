using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// The exported qwen2-tiny graph against transformers' own Qwen2ForCausalLM (golden.json): last-position
/// logits, every prompt position through the KV cache, and greedy decoding.
/// </summary>
[TestClass]
public sealed class GoldenExportTests
{
    /// <summary>float32 graphs: float32 noise is ~1e-5 on logits of magnitude ~10.</summary>
    private const double Fp32Tolerance = 1e-4;

    /// <summary>fp16 graphs: measured max error 9.7e-3 over the three cases; the bound leaves 2× headroom.</summary>
    private const double Fp16Tolerance = 2e-2;

    public static IEnumerable<object[]> Cases => Enumerable.Range(0, Golden.Instance.Cases.Count).Select(i => new object[] { i, Golden.Instance.Cases[i].Name });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_LastPositionLogits_MatchTransformers(int index, string name)
    {
        GoldenChecks.AssertLastLogitsWithin(await TestModels.TinyAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance, "fp32");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_TokenByTokenThroughKvCache_MatchesEveryPositionsTop10(int index, string name)
    {
        GoldenChecks.AssertEveryPositionTop10(await TestModels.TinyAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_GreedySixteenTokens_MatchGoldenTokensAndStepLogits(int index, string name)
    {
        GoldenChecks.AssertGreedyTokensAndStepLogits(await TestModels.TinyAsync(ExportPrecision.Fp32), Golden.Instance.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp16_StaysWithinStatedBound_AndKeepsGreedyWhereTheMarginAllows(int index, string name)
    {
        var golden = Golden.Instance.Cases[index];
        using var model = ModelRunner.Load(await TestModels.TinyAsync(ExportPrecision.Fp16));
        using var state = model.CreateState(golden.InputIds.Length + golden.Greedy.Length);
        var logits = state.Prefill(golden.InputIds);
        double diff = ModelRunner.MaxAbsDiff(logits, golden.LastLogits);
        Console.WriteLine($"{name}: fp16 max |logit − golden| = {diff:0.0e0}");
        Assert.IsLessThanOrEqualTo(Fp16Tolerance, diff, $"{name}: fp16 max |logit − golden| = {diff}");
        for (int step = 0; step < golden.Greedy.Length; step++)
        {
            int token = ModelRunner.ArgMax(logits);
            var (_, margin) = golden.GreedySteps[step];
            if (margin <= 2 * Fp16Tolerance)
                break; // past a near-tie the fp16 path may legitimately branch off the golden continuation
            Assert.AreEqual(golden.Greedy[step], token, $"{name}: fp16 greedy token {step} (golden margin {margin})");
            logits = state.Decode(token);
        }
    }

    [TestMethod]
    public async Task ChunkedPrefill_EqualsOnePrefill()
    {
        var ids = Golden.Instance.Cases.MaxBy(c => c.InputIds.Length)!.InputIds;
        using var model = ModelRunner.Load(await TestModels.TinyAsync(ExportPrecision.Fp32));
        using var whole = model.CreateState(ids.Length);
        var expected = whole.Prefill(ids).ToArray();
        using var chunked = model.CreateState(ids.Length);
        for (int offset = 0; offset < ids.Length; offset += 7)
            chunked.Prefill(ids.AsSpan(offset, Math.Min(7, ids.Length - offset)));
        Assert.IsLessThanOrEqualTo(1e-5, ModelRunner.MaxAbsDiff(chunked.Logits, expected));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public async Task ReferenceForwardPass_MatchesTransformers_SoItCanServeAsOracle(bool qwen3)
    {
        var goldens = qwen3 ? Golden.Qwen3 : Golden.Instance;
        string checkpoint = await TestModels.CheckpointAsync(goldens.ConfigPath, goldens.Seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        var reference = new ReferenceQwen2(Qwen2Config.Load(goldens.ConfigPath), weights);
        var golden = goldens.Cases[1];
        var logits = reference.LastLogits(golden.InputIds);
        double diff = ModelRunner.MaxAbsDiff(golden.LastLogits, logits);
        Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"reference vs golden: {diff}");
    }
}
