using System.Text.Json;

namespace OnnxLlm.Benchmarks;

/// <summary>Prints results as one Markdown table (side by side) and saves them as JSON for comparisons.</summary>
internal static class ResultTable
{
    public static void Print(IReadOnlyList<DecodeBenchmarkResult> results, BenchmarkSettings settings)
    {
        Console.WriteLine();
        Console.WriteLine($"Prompt {settings.PromptTokens} tokens, decode {settings.DecodeTokens} tokens, {settings.Threads} threads, median of {settings.Repetitions}; " +
                          $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine();
        Console.WriteLine("| model | precision | prefill tok/s | TTFT ms | decode tok/s (loop) | decode tok/s (engine) | managed B/token (loop) | managed B/token (engine) | peak RSS MiB |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            Console.WriteLine($"| {r.Model} | {r.Precision} | {r.PrefillTokensPerSecond:0.0} | {r.TimeToFirstTokenMs:0} | {r.DecodeTokensPerSecond:0.0} | " +
                              $"{r.EngineDecodeTokensPerSecond:0.0} | {r.LoopBytesPerToken:0} | {r.EngineBytesPerToken:0} | {r.PeakWorkingSetMiB:0} |");
    }

    public static void WriteJson(IReadOnlyList<DecodeBenchmarkResult> results, string path)
    {
        File.WriteAllText(path, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine();
        Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
    }
}
