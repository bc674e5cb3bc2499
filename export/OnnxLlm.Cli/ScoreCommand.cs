using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Backends;
using OnnxLlm.Backends.GenAi;
using OnnxLlm.Inference;
using OnnxLlm.Runtime;

namespace OnnxLlm.Cli;

/// <summary>
/// <c>onnxllm score</c>: runs token ids through an exported model and prints the last position's argmax and
/// a greedy continuation through the KV cache, for checking an export against a reference.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder (genai_config.json + model.onnx), or a Hugging Face model id.", Required = true };
        var ids = new Option<string>("--ids") { Description = "Prompt token ids, comma-separated (e.g. 1,2,3).", Required = true };
        var logitsOut = new Option<FileInfo?>("--logits-out") { Description = "Write the last position's logits here as raw little-endian float32." };
        var greedy = new Option<int>("--greedy") { Description = "Greedy tokens to decode after the prompt (no EOS stop).", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads (0 = ONNX Runtime's default).", DefaultValueFactory = _ => 0 };
        var backend = BackendOption.Create();
        var command = new Command("score", "Run token ids through an exported model; print {\"argmax\": …, \"greedy\": […]} as JSON.")
        {
            model, ids, logitsOut, greedy, threads, backend,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(async () =>
        {
            var prompt = ParseIds(result.GetRequiredValue(ids));
            int steps = result.GetValue(greedy);
            if (steps < 0) throw new ArgumentException("--greedy must be zero or positive.");
            string folder = await ModelArgument.ResolveAsync(result.GetRequiredValue(model), cancellationToken);
            var chosen = result.GetValue(backend);
            DecoderModel? decoder = null;
            // The SDK's own session options, so what this command measures (memory, speed) is what an application sees.
            int threadCount = result.GetValue(threads);
            using var sessionOptions = SessionOptionsFactory.Create(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = threadCount > 0 ? threadCount : null },
                folder, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            if (chosen != InferenceBackend.GenAI)
            {
                try
                {
                    decoder = DecoderModel.Load(folder, sessionOptions);
                }
                catch (InvalidDataException ex) when (chosen == InferenceBackend.Auto && BackendSelector.GenAiMayRun(folder))
                {
                    Console.Error.WriteLine($"OnnxLlm's loop cannot run {folder} ({ex.Message}); scoring on ONNX Runtime GenAI.");
                }
            }
            if (decoder is null)
            {
                var (lastLogits, tokens) = GenAiScorer.Score(folder, prompt, steps, result.GetValue(threads));
                if (result.GetValue(logitsOut) is { } genAiFile)
                    File.WriteAllBytes(genAiFile.FullName, MemoryMarshal.AsBytes(lastLogits.AsSpan()).ToArray());
                Console.WriteLine(JsonSerializer.Serialize(new { argmax = ArgMax(lastLogits), greedy = tokens }));
                return 0;
            }
            using var loaded = decoder;
            if (Fp16CpuNotice.ForLoadedModel(decoder, RuntimeInformation.ProcessArchitecture, runsOnCpuProvider: true) is { } notice)
                Console.Error.WriteLine("Note: " + notice);
            using var state = decoder.CreateState(Math.Min(decoder.Config.MaxSequenceLength, prompt.Length + steps + 1));
            var logits = state.Prefill(prompt);
            int argmax = ArgMax(logits);
            if (result.GetValue(logitsOut) is { } file)
                File.WriteAllBytes(file.FullName, MemoryMarshal.AsBytes(logits).ToArray());
            var continuation = new List<int>(steps);
            int next = argmax;
            for (int i = 0; i < steps; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                continuation.Add(next);
                if (i + 1 < steps) next = ArgMax(state.Decode(next));
            }
            Console.WriteLine(JsonSerializer.Serialize(new { argmax, greedy = continuation }));
            return 0;
        }));
        return command;
    }

    private static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("--ids needs at least one token id.");
        return parts.Select(p => int.TryParse(p, out var id) && id >= 0 ? id
            : throw new ArgumentException($"--ids: '{p}' is not a token id.")).ToArray();
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
