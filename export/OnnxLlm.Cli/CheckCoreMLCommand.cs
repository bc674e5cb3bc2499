using System.CommandLine;
using OnnxLlm.Export.CoreML;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm check-coreml</c>: predicts, without a Mac, what ONNX Runtime's CoreML EP would do with a model folder.</summary>
internal static class CheckCoreMLCommand
{
    public static Command Create()
    {
        var folder = new Argument<DirectoryInfo>("model-dir") { Description = "Model folder (every *.onnx in it is checked) or one .onnx file." };
        var requireStatic = new Option<bool>("--require-static") { Description = "Also reject dynamic input dimensions (ORT's RequireStaticInputShapes=1; what the Neural Engine needs)." };
        var command = new Command("check-coreml",
            "Statically check ONNX files against ONNX Runtime 1.31's CoreML EP rules (MLProgram): rejected nodes with the rule each breaks, " +
            "and the number of Core ML partitions. Exits 1 when any node is rejected.")
        {
            folder, requireStatic,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(() =>
        {
            var options = new CoreMLCheckOptions { RequireStaticShapes = result.GetValue(requireStatic) };
            string path = result.GetRequiredValue(folder).FullName;
            var reports = File.Exists(path) ? [CoreMLChecker.CheckFile(path, options)] : CoreMLChecker.CheckFolder(path, options);
            foreach (var report in reports) Console.Write(report.Format());
            int rejected = reports.Sum(r => r.RejectedNodes.Count);
            Console.WriteLine(rejected == 0
                ? $"OK: every node of {reports.Count} file(s) is accepted by the CoreML EP ({string.Join(", ", reports.Select(r => $"{r.File}: {r.Partitions.Count} partition(s)"))})."
                : $"FAIL: {rejected} node(s) would fall back to the CPU.");
            return Task.FromResult(rejected == 0 ? 0 : 1);
        }));
        return command;
    }
}
