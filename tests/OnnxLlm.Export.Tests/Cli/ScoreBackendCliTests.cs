using System.Text.Json;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary><c>onnxllm score --backend</c>: the same JSON and logits file on each backend, checked against transformers' goldens.</summary>
[TestClass]
public sealed class ScoreBackendCliTests
{
    [TestMethod]
    [DataRow("onnxllm")]
    [DataRow("genai")]
    [DataRow("auto")]
    public async Task Score_OnEachBackend_MatchesTheGoldens(string backend)
    {
        string onnx = await TestModels.TinyAsync(ExportPrecision.Fp32);
        string logitsFile = Path.Combine(TestModels.Root, $"score-{backend}-{Guid.NewGuid():N}.f32");
        var golden = Golden.Instance.Cases[2];
        var score = await CliRunner.RunAsync("score", "--model", onnx, "--ids", string.Join(',', golden.InputIds),
            "--greedy", golden.Greedy.Length.ToString(), "--logits-out", logitsFile, "--threads", "1", "--backend", backend);
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
    [DataRow("onnxllm")]
    [DataRow("genai")]
    public async Task Chat_OnEachBackend_StreamsAnAnswerToTheTokenLimit(string backend)
    {
        string onnx = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var chat = await CliRunner.RunAsync("chat", "--model", onnx, "--prompt", "What is ONNX?", "--max-tokens", "6", "--threads", "1",
            "--seed", "1", "--backend", backend);
        Assert.AreEqual(0, chat.ExitCode, chat.StdErr);
        StringAssert.Contains(chat.StdErr + chat.StdOut, "6 tokens, finish: length");
    }

    [TestMethod]
    public async Task UnknownBackend_FailsNamingTheChoices()
    {
        string onnx = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var score = await CliRunner.RunAsync("score", "--model", onnx, "--ids", "1,2", "--backend", "gpu");
        Assert.AreNotEqual(0, score.ExitCode);
        StringAssert.Contains(score.StdErr + score.StdOut, "onnxllm, genai or auto");
    }
}
