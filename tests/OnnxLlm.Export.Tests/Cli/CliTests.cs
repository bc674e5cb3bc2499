using System.Text.Json;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary>The command line end to end: synth → export → score reproduces transformers' numbers.</summary>
[TestClass]
public sealed class CliTests
{
    [TestMethod]
    [DataRow("qwen2-tiny")]
    [DataRow("qwen3-tiny")]
    public async Task SynthExportScore_ReproduceTheGolden(string fixture)
    {
        var goldens = fixture == "qwen3-tiny" ? Golden.Qwen3 : Golden.Instance;
        string work = Path.Combine(TestModels.Root, "cli-" + Guid.NewGuid().ToString("N"));
        string hf = Path.Combine(work, "hf"), onnx = Path.Combine(work, "onnx"), logitsFile = Path.Combine(work, "logits.bin");

        var synth = await CliRunner.RunAsync("synth", "--config", goldens.ConfigPath, "--seed", goldens.Seed.ToString(), "--output", hf);
        Assert.AreEqual(0, synth.ExitCode, synth.StdErr);
        StringAssert.Contains(synth.StdOut, "model.safetensors");
        using (var checkpoint = OnnxLlm.Export.Safetensors.SafetensorsCheckpoint.Open(hf))
        {
            foreach (var (name, (_, sha256)) in goldens.Tensors)
                Assert.AreEqual(sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(checkpoint.GetBytes(name))), name);
        }

        var export = await CliRunner.RunAsync("export", "--input", hf, "--output", onnx, "--precision", "fp32", "--max-length", "256");
        Assert.AreEqual(0, export.ExitCode, export.StdErr);
        StringAssert.Contains(export.StdOut, "model.onnx.data");
        StringAssert.Contains(export.StdOut, "genai_config.json");

        var golden = goldens.Cases[1];
        var score = await CliRunner.RunAsync("score", "--model", onnx, "--ids", string.Join(',', golden.InputIds),
            "--greedy", golden.Greedy.Length.ToString(), "--logits-out", logitsFile);
        Assert.AreEqual(0, score.ExitCode, score.StdErr);
        using var json = JsonDocument.Parse(score.StdOut);
        Assert.AreEqual(golden.Greedy[0], json.RootElement.GetProperty("argmax").GetInt32());
        CollectionAssert.AreEqual(golden.Greedy, json.RootElement.GetProperty("greedy").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        var bytes = await File.ReadAllBytesAsync(logitsFile);
        var logits = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length);
        Assert.IsLessThanOrEqualTo(1e-4, Exporting.ModelRunner.MaxAbsDiff(logits, golden.LastLogits));
    }

    [TestMethod]
    public async Task ExportOverExistingFolder_FailsWithAMessage_UnlessForced()
    {
        string hf = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string target = Directory.CreateDirectory(Path.Combine(TestModels.Root, "cli-exists-" + Guid.NewGuid().ToString("N"))).FullName;
        var refused = await CliRunner.RunAsync("export", "--input", hf, "--output", target, "--max-length", "64");
        Assert.AreEqual(1, refused.ExitCode);
        StringAssert.Contains(refused.StdErr, "already exists");
        var forced = await CliRunner.RunAsync("export", "--input", hf, "--output", target, "--max-length", "64", "--force");
        Assert.AreEqual(0, forced.ExitCode, forced.StdErr);
    }

    [TestMethod]
    public async Task ScoreWithBadIds_FailsNamingTheBadValue()
    {
        string onnx = await TestModels.TinyAsync(OnnxLlm.Export.Precision.ExportPrecision.Fp16);
        var result = await CliRunner.RunAsync("score", "--model", onnx, "--ids", "1,x,3");
        Assert.AreEqual(1, result.ExitCode);
        StringAssert.Contains(result.StdErr, "'x'");
    }
}
