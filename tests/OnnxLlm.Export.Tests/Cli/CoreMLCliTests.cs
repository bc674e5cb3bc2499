using System.Text.Json;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary><c>onnxllm export --target coreml</c> and <c>onnxllm check-coreml</c> end to end.</summary>
[TestClass]
public sealed class CoreMLCliTests
{
    [TestMethod]
    public async Task ExportCoreML_ScoresTheGolden_AndChecksClean()
    {
        string hf = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string onnx = Path.Combine(TestModels.Root, "cli-coreml-" + Guid.NewGuid().ToString("N"));
        var export = await CliRunner.RunAsync("export", "--input", hf, "--output", onnx, "--target", "coreml", "--precision", "fp32",
            "--max-length", "128", "--prefill-chunk", "4");
        Assert.AreEqual(0, export.ExitCode, export.StdErr);
        StringAssert.Contains(export.StdOut, "decoder_step.onnx");
        StringAssert.Contains(export.StdOut, "decoder_prefill.onnx");
        StringAssert.Contains(export.StdOut, "onnxllm_contract.json");

        var golden = Golden.Instance.Cases[1];
        var score = await CliRunner.RunAsync("score", "--model", onnx, "--ids", string.Join(',', golden.InputIds), "--greedy", golden.Greedy.Length.ToString());
        Assert.AreEqual(0, score.ExitCode, score.StdErr);
        using var json = JsonDocument.Parse(score.StdOut);
        CollectionAssert.AreEqual(golden.Greedy, json.RootElement.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray());

        var check = await CliRunner.RunAsync("check-coreml", onnx, "--require-static");
        Assert.AreEqual(0, check.ExitCode, check.StdOut + check.StdErr);
        StringAssert.Contains(check.StdOut, "decoder_step.onnx: ");
        StringAssert.Contains(check.StdOut, "0 rejected, 1 CoreML partition(s)");
        StringAssert.StartsWith(check.StdOut.Split('\n').Last(l => l.Length > 0), "OK");
    }

    [TestMethod]
    public async Task CheckCoreML_OnTheCpuTarget_ListsRejectedNodes_AndFails()
    {
        var check = await CliRunner.RunAsync("check-coreml", await TestModels.TinyAsync(ExportPrecision.Fp16));
        Assert.AreEqual(1, check.ExitCode, check.StdErr);
        StringAssert.Contains(check.StdOut, "com.microsoft.GroupQueryAttention");
        StringAssert.Contains(check.StdOut, "NonDefaultDomain");
        StringAssert.Contains(check.StdOut, "FAIL");
    }

    [TestMethod]
    public async Task ExportCoreML_Int4_IsRefusedWithAReason()
    {
        string hf = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        var result = await CliRunner.RunAsync("export", "--input", hf, "--output", Path.Combine(TestModels.Root, "cli-coreml-int4"),
            "--target", "coreml", "--precision", "int4");
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.StdErr, "MatMulNBits");
    }
}
