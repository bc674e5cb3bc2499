using System.CommandLine;
using OnnxLlm.Export.Synthetic;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm synth</c>: write a synthetic Qwen2 or Qwen3 checkpoint (real layout, generated weights) from a config and a seed.</summary>
internal static class SynthCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Qwen2 / Qwen2.5 / Qwen3 config.json (model_type qwen2 or qwen3).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Generator seed.", Required = true };
        var output = new Option<DirectoryInfo>("--output", "-o") { Description = "Checkpoint folder to create.", Required = true };
        var shardBytes = new Option<long?>("--max-shard-bytes") { Description = "Split into model-0000K-of-0000N.safetensors shards of at most this size." };
        var force = new Option<bool>("--force") { Description = "Replace the output folder if it exists." };
        var command = new Command("synth", "Write a synthetic Hugging Face Qwen2 or Qwen3 checkpoint (bf16 safetensors) from config.json and a seed.")
        {
            config, seed, output, shardBytes, force,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(async () =>
        {
            string target = result.GetRequiredValue(output).FullName;
            await SyntheticCheckpointWriter.WriteAsync(result.GetRequiredValue(config).FullName, result.GetValue(seed), target,
                new SyntheticCheckpointOptions { MaxShardBytes = result.GetValue(shardBytes), Overwrite = result.GetValue(force) },
                cancellationToken: cancellationToken);
            Console.WriteLine($"Wrote {target}");
            foreach (var file in new DirectoryInfo(target).GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
                Console.WriteLine($"  {file.Name,-40} {file.Length,15:N0} bytes");
            return 0;
        }));
        return command;
    }
}
