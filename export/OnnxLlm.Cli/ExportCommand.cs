using System.Runtime.InteropServices;
using OnnxLlm.Runtime;
using System.CommandLine;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm export</c>: Hugging Face checkpoint folder → ONNX model folder.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var input = new Option<DirectoryInfo>("--input", "-i") { Description = "Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer files).", Required = true };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Model folder to create.", Required = true };
        var precision = ExportChoiceOptions.Precision(
            "fp16 (default), fp32, or int4 / int8 (decoder Linears block-quantized to MatMulNBits; fp32 activations).");
        var blockSize = new Option<int?>("--block-size")
        {
            Description = $"int4/int8: weights per quantization block along the input dimension (16, 32, 64 or 128; default {QuantizationOptions.DefaultInt4BlockSize} for int4, {QuantizationOptions.DefaultInt8BlockSize} for int8).",
        };
        blockSize.AcceptOnlyFromAmong([.. QuantizationOptions.SupportedBlockSizes.Select(b => b.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        var asymmetric = new Option<bool>("--asymmetric") { Description = "int4/int8: store a zero point per block (min/max) instead of symmetric quantization." };
        var accuracyLevel = new Option<int>("--accuracy-level")
        {
            Description = "int4/int8: MatMulNBits accuracy_level, 0 (unset), 1 (fp32), 2 (fp16), 3 (bf16), 4 (int8 compute, default).",
            DefaultValueFactory = _ => QuantizationOptions.DefaultAccuracyLevel,
        };
        accuracyLevel.AcceptOnlyFromAmong("0", "1", "2", "3", "4");
        var floatLmHead = new Option<bool>("--float-lm-head") { Description = "int4/int8: keep lm_head in float (closer logits, about half the int4 decode speed; by default the head is quantized too)." };
        var target = ExportChoiceOptions.Target(
            "cpu (default: contrib ops, GenAI layout) or coreml (standard ops only, static shapes, one Core ML partition; fp16/fp32 only).");
        var maxLength = new Option<int?>("--max-length")
        {
            Description = $"Longest sequence the folder supports (default: the config's max_position_embeddings; for coreml capped at {ExportOptions.DefaultCoreMLMaxLength}, since its whole KV buffer is an input every step).",
        };
        var prefillChunk = new Option<int>("--prefill-chunk")
        {
            Description = "coreml: tokens per prefill run (static; the last chunk of a prompt is padded).",
            DefaultValueFactory = _ => ExportOptions.DefaultPrefillChunk,
        };
        var force = new Option<bool>("--force") { Description = "Replace the output folder if it exists." };
        var command = new Command("export", "Convert a Hugging Face Qwen2/Qwen2.5/Qwen3 checkpoint (bf16/fp16/fp32 safetensors) into an ONNX model folder.")
        {
            input, output, precision, target, blockSize, asymmetric, accuracyLevel, floatLmHead, maxLength, prefillChunk, force,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new ExportOptions
            {
                InputDirectory = result.GetRequiredValue(input).FullName,
                OutputDirectory = result.GetRequiredValue(output).FullName,
                Precision = ExportChoiceOptions.ParsePrecision(result.GetRequiredValue(precision)),
                Quantization = new QuantizationOptions
                {
                    BlockSize = result.GetValue(blockSize),
                    Asymmetric = result.GetValue(asymmetric),
                    AccuracyLevel = result.GetValue(accuracyLevel),
                    QuantizeLmHead = !result.GetValue(floatLmHead),
                },
                Target = ExportChoiceOptions.ParseTarget(result.GetRequiredValue(target)),
                MaxLength = result.GetValue(maxLength),
                PrefillChunk = result.GetValue(prefillChunk),
                Overwrite = result.GetValue(force),
            };
            return await CliErrors.RunAsync(async () =>
            {
                var report = await Qwen2Exporter.ExportAsync(options, new ConsoleProgress(), cancellationToken);
                Console.WriteLine($"Exported {options.InputDirectory} -> {report.OutputDirectory} ({report.Precision.ToString().ToLowerInvariant()}, {report.Target.ToString().ToLowerInvariant()}, max length {report.MaxLength}, {report.ElapsedSeconds:0.0} s)");
                foreach (var (name, bytes) in report.Files)
                    Console.WriteLine($"  {name,-26} {bytes,15:N0} bytes");
                if (report.ClampedValues > 0)
                    Console.WriteLine($"  {report.ClampedValues:N0} weights were beyond fp16's range and were clamped to ±65504.");
                if (report.Quantization is { } q)
                    QuantizationSummary.Write(Console.Out, q);
                if (report.Precision == ExportPrecision.Fp16
                    && Fp16CpuNotice.ForExport(report.OutputDirectory, RuntimeInformation.ProcessArchitecture) is { } notice)
                    Console.Error.WriteLine("Note: " + notice);
                return 0;
            });
        });
        return command;
    }
}
