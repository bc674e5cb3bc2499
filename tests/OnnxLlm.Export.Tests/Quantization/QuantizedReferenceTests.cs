using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Tests.Exporting;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// Separates quantization error from graph error: the int export (accuracy_level 0: fp32 compute) must match
/// the float reference forward pass run on the dequantized weights as closely as the fp32 export matches
/// transformers. What remains against the golden is then purely the weights' quantization.
/// </summary>
[TestClass]
public sealed class QuantizedReferenceTests
{
    /// <summary>Same float32-noise bound as the fp32 golden tests (GoldenExportTests.Fp32Tolerance); measured ≤ 4.8e-6.</summary>
    private const double Fp32Tolerance = 1e-4;

    [TestMethod]
    [DataRow(ExportPrecision.Int4, false, false)]
    [DataRow(ExportPrecision.Int4, true, false)]
    [DataRow(ExportPrecision.Int8, false, false)]
    [DataRow(ExportPrecision.Int4, false, true)]
    [DataRow(ExportPrecision.Int4, true, true)]
    [DataRow(ExportPrecision.Int8, false, true)]
    [DataRow(ExportPrecision.Int8, true, true)]
    public async Task IntExport_MatchesTheReferenceOnDequantizedWeights(ExportPrecision precision, bool asymmetric, bool quantizedHead)
    {
        // Float head: the table stays float (the tied head reads it). Quantized head: the embedding lookup
        // (GatherBlockQuantized) and the tied head (MatMulNBits) read one quantized table, so the reference reads the
        // dequantized table for both; a layout mismatch between the two kernels would show here as a large error.
        // Block 16 on the tiny model's 64-wide table covers several blocks per row; 32 the default.
        foreach (int blockSize in new[] { 32, 16 })
        {
            var options = new QuantizationOptions { AccuracyLevel = 0, Asymmetric = asymmetric, QuantizeLmHead = quantizedHead, BlockSize = blockSize };
            string folder = await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, quantization: options);
            string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
            using var weights = CheckpointWeights.Open(checkpoint);
            var reference = new ReferenceQwen2(Qwen2Config.Load(TestModels.TinyConfig),
                new DequantizedCheckpoint(weights, precision.QuantizationBits()!.Value, options, quantizedEmbedding: quantizedHead));

            var golden = Golden.Instance.Cases[1];
            var expected = reference.LastLogits(golden.InputIds);
            var actual = ModelRunner.PrefillLogits(folder, golden.InputIds);
            double diff = ModelRunner.MaxAbsDiff(actual, expected);
            Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"{precision} block {blockSize}: max |onnx − reference(dequantized)|");
        }
    }

    [TestMethod]
    [DataRow(ExportPrecision.Int4, false)]
    [DataRow(ExportPrecision.Int4, true)]
    [DataRow(ExportPrecision.Int8, false)]
    public async Task UntiedHead_TheTableAndTheHeadAreQuantizedSeparately_AndMatchTheReference(ExportPrecision precision, bool asymmetric)
    {
        // An untied checkpoint (lm_head.weight of its own): the lookup reads the quantized table, the head its own MatMulNBits.
        string config = TestModels.UntiedTinyConfig;
        var options = new QuantizationOptions { AccuracyLevel = 0, Asymmetric = asymmetric };
        string folder = await TestModels.ExportAsync(config, Golden.Instance.Seed, precision, maxLength: 4096, quantization: options);
        string checkpoint = await TestModels.CheckpointAsync(config, Golden.Instance.Seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        Assert.IsTrue(weights.Contains("lm_head.weight"), "the synthetic untied checkpoint has its own head");
        var reference = new ReferenceQwen2(Qwen2Config.Load(config),
            new DequantizedCheckpoint(weights, precision.QuantizationBits()!.Value, options, quantizedEmbedding: true));

        var golden = Golden.Instance.Cases[1];
        double diff = ModelRunner.MaxAbsDiff(ModelRunner.PrefillLogits(folder, golden.InputIds), reference.LastLogits(golden.InputIds));
        Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"{precision}: max |onnx − reference(dequantized)|");

        using var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, OnnxLlm.Export.Exporting.Qwen2Exporter.ReportFileName)));
        var names = report.RootElement.GetProperty("quantization").GetProperty("tensors").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        CollectionAssert.Contains(names, "model.embed_tokens.weight");
        CollectionAssert.Contains(names, "lm_head.weight");
    }

    [TestMethod]
    [DataRow(ExportPrecision.Int4)]
    [DataRow(ExportPrecision.Int8)]
    public async Task Qwen3IntExport_MatchesTheReferenceOnDequantizedWeights(ExportPrecision precision)
    {
        // qwen3-tiny: the q/k head norms stay float beside the MatMulNBits projections; measured ≤ 6.1e-6.
        var options = new QuantizationOptions { AccuracyLevel = 0, QuantizeLmHead = false };
        string folder = await TestModels.ExportAsync(TestModels.Qwen3TinyConfig, Golden.Qwen3.Seed, precision, maxLength: 4096, quantization: options);
        string checkpoint = await TestModels.CheckpointAsync(TestModels.Qwen3TinyConfig, Golden.Qwen3.Seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        var reference = new ReferenceQwen2(Qwen2Config.Load(TestModels.Qwen3TinyConfig),
            new DequantizedCheckpoint(weights, precision.QuantizationBits()!.Value, options));

        var golden = Golden.Qwen3.Cases[1];
        double diff = ModelRunner.MaxAbsDiff(ModelRunner.PrefillLogits(folder, golden.InputIds), reference.LastLogits(golden.InputIds));
        Console.WriteLine($"qwen3 {precision}: max |onnx − reference(dequantized)| = {diff:0.0e0}");
        Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"qwen3 {precision}: max |onnx − reference(dequantized)|");
    }
}
