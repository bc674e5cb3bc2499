using System.CommandLine;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Hub;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm pull</c>, <c>list</c> and <c>rm</c>: the Hub model cache.</summary>
internal static class PullCommand
{
    public static Command CreatePull()
    {
        var model = new Argument<string>("model") { Description = "Hugging Face model id, e.g. Qwen/Qwen2.5-0.5B-Instruct or Qwen/Qwen3-0.6B (optionally @revision)." };
        var precision = ExportChoiceOptions.Precision(ModelArgument.PrecisionDescription("Export precision"));
        var target = ExportChoiceOptions.Target("cpu (default) or coreml (static-shape graphs for Apple's Core ML).");
        var refresh = new Option<bool>("--refresh") { Description = "Ask the Hub where the revision points now, even if a copy is cached." };
        var command = new Command("pull", "Download a model from the Hugging Face Hub (HF_ENDPOINT, HF_TOKEN honoured), export it to ONNX and cache it.")
        {
            model, precision, target, refresh,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(async () =>
        {
            var id = HubModelId.Parse(result.GetRequiredValue(model));
            using var puller = new ModelPuller(HubOptions.FromEnvironment());
            var pulled = await puller.PullAsync(id, new PullOptions
            {
                Precision = ExportChoiceOptions.ParsePrecision(result.GetRequiredValue(precision)),
                Target = ExportChoiceOptions.ParseTarget(result.GetRequiredValue(target)),
                Refresh = result.GetValue(refresh),
            }, new ConsolePullProgress(), cancellationToken);
            Console.WriteLine($"{id} ({pulled.CommitSha[..Math.Min(12, pulled.CommitSha.Length)]}) {(pulled.FromCache ? "is cached" : "pulled")}: {pulled.ModelDirectory}");
            return 0;
        }));
        return command;
    }

    public static Command CreateList()
    {
        var command = new Command("list", "List cached models.");
        command.SetAction(_ =>
        {
            var cache = new ModelCache(HubOptions.FromEnvironment().CacheDirectory);
            var entries = cache.List();
            if (entries.Count == 0) Console.WriteLine($"No models cached in {cache.Root}.");
            foreach (var e in entries)
            {
                Console.WriteLine($"{e.Repository} @ {e.CommitSha[..Math.Min(12, e.CommitSha.Length)]} ({string.Join(", ", e.Revisions)}) checkpoint {e.CheckpointBytes / 1048576.0:0.0} MiB");
                foreach (var (variant, (directory, bytes)) in e.Exports)
                    Console.WriteLine($"  {variant,-12} {bytes / 1048576.0,10:0.0} MiB  {directory}");
            }
            return 0;
        });
        return command;
    }

    public static Command CreateRemove()
    {
        var model = new Argument<string>("model") { Description = "Hugging Face model id." };
        var command = new Command("rm", "Remove a model (checkpoint and exports) from the cache.") { model };
        command.SetAction(result => CliErrors.RunAsync(() =>
        {
            var id = HubModelId.Parse(result.GetRequiredValue(model));
            var cache = new ModelCache(HubOptions.FromEnvironment().CacheDirectory);
            bool removed = cache.Remove(id.Repository);
            Console.WriteLine(removed ? $"Removed {id.Repository}." : $"{id.Repository} is not cached.");
            return Task.FromResult(removed ? 0 : 1);
        }).GetAwaiter().GetResult());
        return command;
    }
}
