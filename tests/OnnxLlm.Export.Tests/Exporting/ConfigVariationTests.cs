using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// The exporter is written for any Qwen2 / Qwen3 config, not for the fixtures: other head counts (MHA, MQA),
/// head sizes, rope_theta values, depths, untied heads and Qwen3 with biases export and match the float64 reference.
/// </summary>
[TestClass]
public sealed class ConfigVariationTests
{
    [TestMethod]
    [DataRow("mha-untied-hd32", ExportTarget.Cpu)]
    [DataRow("mqa-hd64-theta1e4", ExportTarget.Cpu)]
    [DataRow("gqa-hd128", ExportTarget.Cpu)]
    // Qwen3 with what the fixture lacks: attention_bias true, MQA, untied head, head_dim 64 ≠ hidden / heads (32), and a
    // sliding_window of 4 that use_sliding_window=false switches off (16 tokens would show any windowing).
    [DataRow("qwen3-mqa-bias-untied-hd64", ExportTarget.Cpu)]
    [DataRow("qwen3-mqa-bias-untied-hd64", ExportTarget.CoreML)]
    public async Task Export_MatchesReferenceForwardPass_AndGreedyThroughKvCache(string configName, ExportTarget target)
    {
        string config = TestModels.TestData("configs", "synthetic", configName + ".json");
        const ulong seed = 7;
        string folder = target == ExportTarget.CoreML
            ? await TestModels.ExportAsync(config, seed, ExportPrecision.Fp32, tokenizer: null, maxLength: 64, target: ExportTarget.CoreML, prefillChunk: 8)
            : await TestModels.ExportAsync(config, seed, ExportPrecision.Fp32, tokenizer: null);
        string checkpoint = await TestModels.CheckpointAsync(config, seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        var reference = new ReferenceQwen2(Qwen2Config.Load(config), weights);

        var random = new Random(1234);
        var cfg = Qwen2Config.Load(config);
        var ids = Enumerable.Range(0, 12).Select(_ => random.Next(cfg.VocabSize)).ToList();
        using var model = ModelRunner.Load(folder);
        using var state = model.CreateState(ids.Count + 4);
        var logits = state.Prefill(ids.ToArray());
        for (int step = 0; step < 4; step++)
        {
            var expected = reference.LastLogits(ids);
            double diff = ModelRunner.MaxAbsDiff(logits, expected);
            Assert.IsLessThanOrEqualTo(1e-4, diff, $"{configName} step {step}: max |onnx − reference| = {diff}");
            int token = ModelRunner.ArgMax(logits);
            ids.Add(token);
            logits = state.Decode(token);
        }
    }

    [TestMethod]
    public async Task HeadDimNotMultipleOf16_IsRejectedWithTheReason()
    {
        string config = TestModels.TestData("configs", "synthetic", "gqa-hd24-unsupported.json");
        string checkpoint = await TestModels.CheckpointAsync(config, 3, tokenizer: null);
        string output = Path.Combine(TestModels.Root, "hd24-" + Guid.NewGuid().ToString("N"));
        var ex = await Assert.ThrowsExactlyAsync<NotSupportedException>(() =>
            Qwen2Exporter.ExportAsync(new ExportOptions { InputDirectory = checkpoint, OutputDirectory = output }));
        StringAssert.Contains(ex.Message, "head_dim 24");
        Assert.IsFalse(Directory.Exists(output), "a failed export must leave nothing at the target");
    }
}
