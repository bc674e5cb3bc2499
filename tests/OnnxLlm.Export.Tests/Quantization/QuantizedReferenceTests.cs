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
    /// <summary>Same float32-noise bound as the fp32 golden tests (GoldenExportTests.Fp32Tolerance); measured ≤ 4.8e-6 (qwen2-tiny), ≤ 6.1e-6 (qwen3-tiny).</summary>
    private const double Fp32Tolerance = 1e-4;

    [TestMethod]
    [DataRow(ExportPrecision.Int4, false, false)]
    [DataRow(ExportPrecision.Int4, true, false)]
    [DataRow(ExportPrecision.Int8, false, false)]
    [DataRow(ExportPrecision.Int4, false, true)]
    [DataRow(ExportPrecision.Int8, false, true)]
    public async Task IntExport_MatchesTheReferenceOnDequantizedWeights(ExportPrecision precision, bool asymmetric, bool qwen3)
    {
        string config = qwen3 ? TestModels.Qwen3TinyConfig : TestModels.TinyConfig;
        var goldens = qwen3 ? Golden.Qwen3 : Golden.Instance;
        // Float head: the reference reads a tied head from the embedding table, which an int export keeps float
        // for the Gather while quantizing the head's own copy; the head's quantization is covered by the golden bounds.
        var options = new QuantizationOptions { AccuracyLevel = 0, Asymmetric = asymmetric, QuantizeLmHead = false };
        string folder = await TestModels.ExportAsync(config, goldens.Seed, precision, maxLength: 4096, quantization: options);
        string checkpoint = await TestModels.CheckpointAsync(config, goldens.Seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        var reference = new ReferenceQwen2(Qwen2Config.Load(config),
            new DequantizedCheckpoint(weights, precision.QuantizationBits()!.Value, options));

        var golden = goldens.Cases[1];
        var expected = reference.LastLogits(golden.InputIds);
        var actual = ModelRunner.PrefillLogits(folder, golden.InputIds);
        double diff = ModelRunner.MaxAbsDiff(actual, expected);
        Console.WriteLine($"{(qwen3 ? "qwen3" : "qwen2")} {precision}: max |onnx − reference(dequantized)| = {diff:0.0e0}");
        Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"{precision}: max |onnx − reference(dequantized)|");
    }
}
