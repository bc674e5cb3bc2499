using System.Text.Json;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Tests.Cli;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary><c>onnxllm export --precision int4</c> end to end as a child process.</summary>
[TestClass]
public sealed class QuantizedExportCliTests
{
    [TestMethod]
    public async Task ExportInt4_WritesTheFolder_AndPrintsTheQuantizationError()
    {
        string hf = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string onnx = Path.Combine(TestModels.Root, "cli-int4-" + Guid.NewGuid().ToString("N"));
        var export = await CliRunner.RunAsync("export", "--input", hf, "--output", onnx, "--precision", "int4",
            "--block-size", "64", "--asymmetric", "--accuracy-level", "0", "--float-lm-head", "--max-length", "128");
        Assert.AreEqual(0, export.ExitCode, export.StdErr);
        StringAssert.Contains(export.StdOut, "Quantization: int4, block 64, asymmetric, accuracy_level 0, lm_head float");
        StringAssert.Contains(export.StdOut, "relative RMS error");
        StringAssert.Contains(export.StdOut, "worst tensor: model.layers.");

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(onnx, Qwen2Exporter.ReportFileName)));
        Assert.AreEqual("Int4", json.RootElement.GetProperty("precision").GetString());
        Assert.AreEqual(64, json.RootElement.GetProperty("quantization").GetProperty("block_size").GetInt32());
        Assert.IsTrue(File.Exists(Path.Combine(onnx, "model.onnx.data")));
    }

    [TestMethod]
    public async Task UnsupportedBlockSize_IsRefusedByTheParser()
    {
        var result = await CliRunner.RunAsync("export", "--input", "in", "--output", "out", "--precision", "int4", "--block-size", "48");
        Assert.AreNotEqual(0, result.ExitCode);
        StringAssert.Contains(result.StdErr + result.StdOut, "48");
    }
}
