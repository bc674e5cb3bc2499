using System.Diagnostics;
using LLama.Batched;
using LLama.Native;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// The decode table's llama.cpp-via-LLamaSharp row for one GGUF: the same prompts as <see cref="SdkBenchmark"/> (new
/// random ids per pass, seed 123 + pass), prefill as prompt ÷ time to first token, steady decode from the second
/// token on, load time and memory taken the same way, in a process of its own. Settings are the serving peer's
/// (<see cref="LlamaCpp.Parameters"/>: 4096-token context, batch 512, 2 threads).
/// </summary>
internal static class PeerDecodeBenchmark
{
    public static async Task<RuntimeResult> RunAsync(string configDirectory, GgmlType type, BenchmarkSettings settings)
    {
        string name = Path.GetFileName(configDirectory.TrimEnd('/'));
        string gguf = PeerModels.GgufPath(settings, name, type); // written by the parent
        Console.Error.WriteLine($"== {name} {type} on {LlamaCpp.Label}");
        var parameters = LlamaCpp.Parameters(gguf, settings.Threads);
        long loadStart = Stopwatch.GetTimestamp();
        using var weights = LlamaCpp.Load(parameters);
        using var executor = new BatchedExecutor(weights, parameters);
        double loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
        var loaded = ProcessMemory.Read();
        ProcessMemory.ResetPeak();

        var ttft = new List<double>(); var decode = new List<double>();
        for (int rep = 0; rep <= settings.Repetitions; rep++)
        {
            using var conversation = executor.Create();
            long start = Stopwatch.GetTimestamp();
            await LlamaCpp.PromptAsync(conversation, SdkBenchmark.RandomPrompt(settings.PromptTokens, seed: 123 + rep));
            int token = LlamaCpp.ArgMax(conversation.Sample());
            double firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            token = await StepAsync(conversation, token); // not timed, as in SdkBenchmark
            long decodeStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < settings.DecodeTokens; i++) token = await StepAsync(conversation, token);
            double decodeSeconds = Stopwatch.GetElapsedTime(decodeStart).TotalSeconds;
            if (rep == 0) continue;
            ttft.Add(firstMs);
            decode.Add(settings.DecodeTokens / decodeSeconds);
        }
        var after = ProcessMemory.Read();
        double ttftMs = Median(ttft);
        double file = new FileInfo(gguf).Length / (1024.0 * 1024.0);
        return new RuntimeResult
        {
            Model = name, Precision = type.ToString().ToUpperInvariant(), Runtime = LlamaCpp.Label, LoadSeconds = loadSeconds,
            PrefillTokensPerSecond = settings.PromptTokens / (ttftMs / 1000), TimeToFirstTokenMs = ttftMs, DecodeTokensPerSecond = Median(decode),
            RssAfterLoadMiB = loaded.RssMiB, PeakLoadMiB = loaded.PeakMiB, PeakGenerateMiB = after.PeakMiB,
            AnonAfterMiB = after.AnonMiB, FileAfterMiB = after.FileMiB, KernelWeightMiB = file, FileMiB = file,
            DecodedTokens = settings.DecodeTokens,
        };
    }

    private static async Task<int> StepAsync(Conversation conversation, int token)
    {
        conversation.Prompt((LLamaToken)token);
        await LlamaCpp.InferAsync(conversation.Executor);
        return LlamaCpp.ArgMax(conversation.Sample());
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }
}
