using System.CommandLine;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm export</c>: Hugging Face checkpoint folder → ONNX model folder.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var input = new Option<DirectoryInfo>("--input", "-i") { Description = "Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer files).", Required = true };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Model folder to create.", Required = true };
        var precision = new Option<string>("--precision") { Description = "fp16 (default) or fp32.", DefaultValueFactory = _ => "fp16" };
        precision.AcceptOnlyFromAmong("fp16", "fp32");
        var maxLength = new Option<int?>("--max-length") { Description = "Longest sequence the folder supports (default: the config's max_position_embeddings)." };
        var force = new Option<bool>("--force") { Description = "Replace the output folder if it exists." };
        var command = new Command("export", "Convert a Hugging Face Qwen2/Qwen2.5 checkpoint (bf16/fp16/fp32 safetensors) into an ONNX model folder.")
        {
            input, output, precision, maxLength, force,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new ExportOptions
            {
                InputDirectory = result.GetRequiredValue(input).FullName,
                OutputDirectory = result.GetRequiredValue(output).FullName,
                Precision = result.GetValue(precision) == "fp32" ? ExportPrecision.Fp32 : ExportPrecision.Fp16,
                MaxLength = result.GetValue(maxLength),
                Overwrite = result.GetValue(force),
            };
            return await CliErrors.RunAsync(async () =>
            {
                var report = await Qwen2Exporter.ExportAsync(options, new ConsoleProgress(), cancellationToken);
                Console.WriteLine($"Exported {options.InputDirectory} -> {report.OutputDirectory} ({report.Precision.ToString().ToLowerInvariant()}, {report.ElapsedSeconds:0.0} s)");
                foreach (var (name, bytes) in report.Files)
                    Console.WriteLine($"  {name,-26} {bytes,15:N0} bytes");
                if (report.ClampedValues > 0)
                    Console.WriteLine($"  {report.ClampedValues:N0} weights were beyond fp16's range and were clamped to ±65504.");
                return 0;
            });
        });
        return command;
    }
}
