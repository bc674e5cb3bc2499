using Google.Protobuf;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Tests.Exporting;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Qwen3;

/// <summary>
/// The exported qwen3-tiny graphs (cpu and coreml targets) against transformers 4.51.3's own Qwen3ForCausalLM
/// (tests/TestData/qwen3-tiny/golden.json): last-position logits, every prompt position through the KV cache, and
/// greedy decoding. The fixture's head_dim (32) differs from hidden / heads (16), and q/k-norm bugs move its logits
/// by 1.0–5.0, so these checks see both Qwen3 differences.
/// </summary>
[TestClass]
public sealed class Qwen3GoldenExportTests
{
    /// <summary>float32 graphs: float32 noise is ~1e-5 on logits of magnitude ~10.</summary>
    private const double Fp32Tolerance = 1e-4;

    /// <summary>fp16 graphs: measured max error 8.4e-3 (cpu) and 7.7e-3 (coreml) over the three cases; the bound leaves ≥ 2.3× headroom.</summary>
    private const double Fp16Tolerance = 2e-2;

    private static Golden G => Golden.Qwen3;

    public static IEnumerable<object[]> Cases =>
        from target in new[] { ExportTarget.Cpu, ExportTarget.CoreML }
        from index in Enumerable.Range(0, Golden.Qwen3.Cases.Count)
        select new object[] { target, index, Golden.Qwen3.Cases[index].Name };

    private static Task<string> Export(ExportTarget target, ExportPrecision precision) => target == ExportTarget.CoreML
        ? TestModels.Qwen3TinyCoreMLAsync(precision)
        : TestModels.Qwen3TinyAsync(precision);

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_LastPositionLogits_MatchTransformers(ExportTarget target, int index, string name)
    {
        GoldenChecks.AssertLastLogitsWithin(await Export(target, ExportPrecision.Fp32), G.Cases[index], Fp32Tolerance, $"qwen3 fp32 {target}");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_TokenByTokenThroughKvCache_MatchesEveryPositionsTop10(ExportTarget target, int index, string name)
    {
        GoldenChecks.AssertEveryPositionTop10(await Export(target, ExportPrecision.Fp32), G.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp32_GreedySixteenTokens_MatchGoldenTokensAndStepLogits(ExportTarget target, int index, string name)
    {
        GoldenChecks.AssertGreedyTokensAndStepLogits(await Export(target, ExportPrecision.Fp32), G.Cases[index], Fp32Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task Fp16_StaysWithinStatedBound(ExportTarget target, int index, string name)
    {
        GoldenChecks.AssertLastLogitsWithin(await Export(target, ExportPrecision.Fp16), G.Cases[index], Fp16Tolerance, $"qwen3 fp16 {target}");
    }

    public static IEnumerable<object[]> Quantized =>
    [
        // precision, max |logit − golden| bound, teacher-forced greedy agreement floor (48 steps); measured values noted per row
        // (exporter defaults: quantized embedding table and tied head); bounds leave ~1.5× headroom.
        [ExportPrecision.Int8, 0.36, 0.95],  // block 128 (the int8 default): 0.194, 48/48; block 32: 0.239, 48/48
        [ExportPrecision.Int4, 3.2, 0.85],   // 2.097, 46/48
    ];

    [TestMethod]
    [DynamicData(nameof(Quantized))]
    public async Task Quantized_StaysWithinStatedBound_AndGreedyMostlyAgrees(ExportPrecision precision, double logitBound, double agreementFloor)
    {
        using var model = ModelRunner.Load(await TestModels.Qwen3TinyAsync(precision, new QuantizationOptions()));
        double worst = 0;
        int agreed = 0, steps = 0;
        foreach (var golden in G.Cases)
        {
            using var state = model.CreateState(golden.InputIds.Length + golden.Greedy.Length);
            var logits = state.Prefill(golden.InputIds);
            worst = Math.Max(worst, ModelRunner.MaxAbsDiff(logits, golden.LastLogits));
            // Teacher-forced: each step sees the golden prefix, so one early disagreement cannot cascade.
            for (int step = 0; step < golden.Greedy.Length; step++, steps++)
            {
                if (ModelRunner.ArgMax(logits) == golden.Greedy[step]) agreed++;
                logits = state.Decode(golden.Greedy[step]);
            }
        }
        Console.WriteLine($"qwen3 {precision}: max |logit − golden| {worst:0.000}, teacher-forced greedy agreement {agreed}/{steps}");
        Assert.IsLessThanOrEqualTo(logitBound, worst, $"{precision}: max |logit − golden|");
        Assert.IsGreaterThanOrEqualTo(agreementFloor, (double)agreed / steps, $"{precision}: greedy agreement {agreed}/{steps}");
    }

    [TestMethod]
    public async Task CpuGraph_NormsEachQueryAndKeyHead_AndHasNoProjectionBiases()
    {
        var graph = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32), "model.onnx"))).Graph;
        // One input norm per model plus, per layer, the q and k head norms: the rest are fused SkipSimplifiedLayerNormalization.
        var norms = graph.Node.Where(n => n.OpType == "SimplifiedLayerNormalization").Select(n => n.Name).ToList();
        CollectionAssert.AreEquivalent(new[]
        {
            "/model/layers.0/input_layernorm/LayerNorm",
            "/model/layers.0/attn/q_norm/LayerNorm", "/model/layers.0/attn/k_norm/LayerNorm",
            "/model/layers.1/attn/q_norm/LayerNorm", "/model/layers.1/attn/k_norm/LayerNorm",
        }, norms);
        Assert.IsFalse(graph.Node.Any(n => n.Name.EndsWith("_proj/Add", StringComparison.Ordinal)), "Qwen3 has no q/k/v biases");
        Assert.IsTrue(graph.Initializer.Any(i => i.Name == "model.layers.1.self_attn.k_norm.weight" && i.Dims.SequenceEqual([32L])));
    }

    [TestMethod]
    public async Task GenAiConfig_NamesQwen3_AndTheExplicitHeadSize()
    {
        string folder = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32);
        using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "genai_config.json")));
        var model = doc.RootElement.GetProperty("model");
        Assert.AreEqual("qwen3", model.GetProperty("type").GetString());
        Assert.AreEqual(32, model.GetProperty("decoder").GetProperty("head_size").GetInt32());
        Assert.AreEqual(64, model.GetProperty("decoder").GetProperty("hidden_size").GetInt32());
    }
}
