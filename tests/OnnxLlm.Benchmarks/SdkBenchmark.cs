using System.Diagnostics;
using Microsoft.Extensions.AI;
using OnnxLlm.Backends;
using OnnxLlm.Chat;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// One exported model on one backend, measured the way a user's process runs it: the folder is loaded by
/// <see cref="OnnxLlmChatClient"/>'s own constructor (OnnxLlmModel.Load with <see cref="OnnxLlmOptions.Backend"/>), a
/// chat request warms it up, and the timed generations go through the same generator the chat client streams from
/// (<c>OnnxLlmModel.Generator</c>: our batch scheduler or the GenAI one), fed fixed random prompt ids so both backends
/// see the same tokens. Run in a child process per row, so its memory figures are that row's own: RSS after load,
/// the load's peak, and the peak while generating (VmHWM reset after loading).
/// </summary>
internal static class SdkBenchmark
{
    public static async Task<RuntimeResult> RunAsync(string configDirectory, BenchmarkVariant variant, InferenceBackend backend, BenchmarkSettings settings)
    {
        string name = Path.GetFileName(configDirectory.TrimEnd('/'));
        string exported = Path.Combine(settings.WorkDirectory, $"{name}-{variant.Name}"); // exported by the parent
        Console.Error.WriteLine($"== {name} {variant.Name} on {backend}");

        var options = new OnnxLlmOptions { ModelPath = exported, Backend = backend, IntraOpThreads = settings.Threads, AllowSpinning = settings.Spinning };
        long loadStart = Stopwatch.GetTimestamp();
        using var client = new OnnxLlmChatClient(options);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
        var loaded = ProcessMemory.Read();
        ProcessMemory.ResetPeak();

        // One chat turn through the client (template, tokenizer, streaming) before anything is timed.
        await client.GetResponseAsync("Hello", new ChatOptions { MaxOutputTokens = 4, Temperature = 0 });

        var generator = client.Model.Generator;
        var ttft = new List<double>(); var decode = new List<double>();
        int decoded = int.MaxValue;
        for (int rep = 0; rep <= settings.Repetitions; rep++) // the first pass warms up and is not counted
        {
            // A new prompt each pass: the engine's prefix cache would otherwise serve a repeated prompt from its KV copy.
            var request = new GenerationRequest
            {
                PromptTokens = RandomPrompt(settings.PromptTokens, seed: 123 + rep),
                // The first decode step sets up the decode shape; steady state is timed from the second token on.
                MaxNewTokens = settings.DecodeTokens + 2,
                Sampling = new SamplingOptions { Temperature = 0 },
            };
            var stamps = new List<long>(settings.DecodeTokens + 2);
            long start = Stopwatch.GetTimestamp();
            await foreach (var update in generator.GenerateAsync(request))
                if (update.TokenId >= 0) stamps.Add(Stopwatch.GetTimestamp());
            if (rep == 0) continue;
            ttft.Add(Stopwatch.GetElapsedTime(start, stamps[0]).TotalMilliseconds);
            // GenAI stops by itself at an EOS id of genai_config.json; count what was really decoded.
            int steps = stamps.Count - 2;
            decoded = Math.Min(decoded, steps);
            decode.Add(steps > 0 ? steps / Stopwatch.GetElapsedTime(stamps[1], stamps[^1]).TotalSeconds : double.NaN);
        }
        var after = ProcessMemory.Read();
        double ttftMs = Median(ttft);
        return new RuntimeResult
        {
            Model = name,
            Precision = variant.Name,
            Runtime = RuntimeLabel(backend),
            LoadSeconds = loadSeconds,
            PrefillTokensPerSecond = settings.PromptTokens / (ttftMs / 1000),
            TimeToFirstTokenMs = ttftMs,
            DecodeTokensPerSecond = Median(decode),
            RssAfterLoadMiB = loaded.RssMiB,
            PeakLoadMiB = loaded.PeakMiB,
            PeakGenerateMiB = after.PeakMiB,
            AnonAfterMiB = after.AnonMiB,
            FileAfterMiB = after.FileMiB,
            DecodedTokens = decoded,
            Note = decoded < settings.DecodeTokens ? $"stopped at an end token after {decoded} tokens" : null,
        };
    }

    public static string RuntimeLabel(InferenceBackend backend) => backend == InferenceBackend.GenAI ? "ORT GenAI 0.20 (SDK)" : "OnnxLlm loop (SDK)";

    /// <summary>The decode benchmark's prompt: uniform random ids below Qwen's special tokens.</summary>
    public static int[] RandomPrompt(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => random.Next(0, 151643)).ToArray();
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }
}
