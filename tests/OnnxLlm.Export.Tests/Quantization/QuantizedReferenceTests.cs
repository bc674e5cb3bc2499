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
    [DataRow(ExportPrecision.Int4, false)]
    [DataRow(ExportPrecision.Int4, true)]
    [DataRow(ExportPrecision.Int8, false)]
    public async Task IntExport_MatchesTheReferenceOnDequantizedWeights(ExportPrecision precision, bool asymmetric)
    {
        // Float head: the reference reads a tied head from the embedding table, which an int export keeps float
        // for the Gather while quantizing the head's own copy; the head's quantization is covered by the golden bounds.
        var options = new QuantizationOptions { AccuracyLevel = 0, Asymmetric = asymmetric, QuantizeLmHead = false };
        string folder = await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, quantization: options);
        string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        using var weights = CheckpointWeights.Open(checkpoint);
        var reference = new ReferenceQwen2(Qwen2Config.Load(TestModels.TinyConfig),
            new DequantizedCheckpoint(weights, precision.QuantizationBits()!.Value, options));

        var golden = Golden.Instance.Cases[1];
        var expected = reference.LastLogits(golden.InputIds);
        var actual = ModelRunner.PrefillLogits(folder, golden.InputIds);
        double diff = ModelRunner.MaxAbsDiff(actual, expected);
        Assert.IsLessThanOrEqualTo(Fp32Tolerance, diff, $"{precision}: max |onnx − reference(dequantized)|");
    }
}
