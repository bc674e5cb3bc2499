using System.Runtime.InteropServices;
using OnnxLlm.Export.Precision;
using OnnxLlm.Runtime;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary>
/// The CLI says once, on stderr, that fp16 is widened to fp32 on x86 CPUs: after an fp16 export and when score or
/// chat loads an fp16 folder; never for int4. On a non-x86 machine the same commands must print nothing of the kind.
/// </summary>
[TestClass]
public sealed class Fp16NoticeCliTests
{
    private const string Marker = "widen fp16 weights to fp32";

    private static int ExpectedOnThisMachine => Fp16CpuNotice.Applies(RuntimeInformation.ProcessArchitecture, runsOnCpuProvider: true) ? 1 : 0;

    private static int Count(string text) => text.Split(Marker).Length - 1;

    [TestMethod]
    [DataRow("fp16", true)]
    [DataRow("int4", false)]
    public async Task Export_SaysItOnceForFp16(string precision, bool fp16)
    {
        string hf = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string onnx = Path.Combine(TestModels.Root, $"cli-notice-{precision}-" + Guid.NewGuid().ToString("N"));
        var export = await CliRunner.RunAsync("export", "--input", hf, "--output", onnx, "--precision", precision, "--max-length", "128");
        Assert.AreEqual(0, export.ExitCode, export.StdErr);
        Assert.AreEqual(fp16 ? ExpectedOnThisMachine : 0, Count(export.StdErr + export.StdOut), export.StdErr);
        if (fp16 && ExpectedOnThisMachine == 1)
            StringAssert.Contains(export.StdErr, (Fp16CpuNotice.WeightBytes(onnx) / 1e6).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " MB of fp16 weights");
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp16, true)]
    [DataRow(ExportPrecision.Int4, false)]
    public async Task ScoreAndChat_SayItOnceWhenLoadingAnFp16Folder(ExportPrecision precision, bool fp16)
    {
        string folder = await TestModels.TinyAsync(precision);
        var score = await CliRunner.RunAsync("score", "--model", folder, "--ids", "1,2,3", "--threads", "1");
        Assert.AreEqual(0, score.ExitCode, score.StdErr);
        Assert.AreEqual(fp16 ? ExpectedOnThisMachine : 0, Count(score.StdErr + score.StdOut), score.StdErr);

        var chat = await CliRunner.RunAsync("chat", "--model", folder, "--prompt", "hi", "--max-tokens", "2", "--threads", "1", "--seed", "1");
        Assert.AreEqual(0, chat.ExitCode, chat.StdErr);
        Assert.AreEqual(fp16 ? ExpectedOnThisMachine : 0, Count(chat.StdErr + chat.StdOut), chat.StdErr);
    }
}
