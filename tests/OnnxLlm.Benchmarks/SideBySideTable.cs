using System.Globalization;
using OnnxLlm.Benchmarks.Peers;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Prints the decode benchmark's rows as Markdown: speed and memory of every runtime side by side, our rows over the
/// same run's llama.cpp rows, and where each ONNX row's memory goes.
/// </summary>
internal static class SideBySideTable
{
    /// <summary>The memory floor the SDK aims at: 1.10 × (weights as the kernels hold them + KV + 300 MB).</summary>
    public static double FloorMiB(RuntimeResult r) => 1.10 * (r.KernelWeightMiB + r.KvMiB + 300e6 / (1024.0 * 1024.0));

    public static void Print(IReadOnlyList<RuntimeResult> rows, BenchmarkSettings settings, string? llamaBench)
    {
        Console.WriteLine();
        Console.WriteLine($"Prompt {settings.PromptTokens} tokens, decode {settings.DecodeTokens} tokens, {settings.Threads} threads, median of {settings.Repetitions}" +
                          (settings.Rounds > 1 ? $", best of {settings.Rounds} interleaved rounds" : "") + "; " +
                          $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
                          $"load average {LoadAverage()} at the end");
        Console.WriteLine();
        Console.WriteLine("| model | precision | runtime | load s | prefill tok/s | TTFT ms | decode tok/s | RSS after load MiB | peak load MiB | peak generating MiB | weights held MiB | peak gen ÷ weights | floor target MiB |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            Line($"| {r.Model} | {r.Precision} | {r.Runtime} | {F(r.LoadSeconds, "0.0")} | {F(r.PrefillTokensPerSecond, "0.0")} | {F(r.TimeToFirstTokenMs, "0")} | " +
                 $"{F(r.DecodeTokensPerSecond, "0.0")}{(r.Note is null ? "" : "†")} | {F(r.RssAfterLoadMiB, "0")} | {F(r.PeakLoadMiB, "0")} | {F(r.PeakGenerateMiB, "0")} | " +
                 $"{F(r.KernelWeightMiB, "0")} | {F(r.PeakGenerateMiB / r.KernelWeightMiB, "0.00")} | {(IsGguf(r) ? "—" : F(FloorMiB(r), "0"))} |");
        Console.WriteLine();
        Console.WriteLine("prefill tok/s: prompt ÷ time to first token for the in-process rows (request to first streamed token: scheduling, prefill, first sample); " +
                          "llama-bench's rows are its own pp figure (prompt evaluation alone) and tg figure (decode), mean of its repetitions.");
        Console.WriteLine("decode tok/s: steady decode from the second streamed token on. SDK rows: OnnxLlmChatClient loaded the folder (OnnxLlmOptions.Backend), " +
                          "generations run through its generator with fixed random prompt ids (new ids each pass, so no prefix reuse).");
        Console.WriteLine("memory (Linux VmRSS / VmHWM of the row's own process): RSS after load = after the chat client was constructed; peak load = highest RSS while loading; " +
                          "peak generating = highest RSS over the generations (peak reset after loading). weights held = initializers as ORT's CPU kernels hold them " +
                          "(fp16 MatMul/Gemm weights as fp32 on x86; the lm_head's packed copy; not the embedding table the lookup pages in by row), or the GGUF file for llama.cpp rows (it mmaps it). floor target = 1.10 × (weights held + KV + 300 MB).");
        foreach (var r in rows.Where(r => r.Note is not null)) Console.WriteLine($"† {r.Model} {r.Precision} {r.Runtime}: {r.Note}");
        if (llamaBench is not null) Console.WriteLine($"llama-bench: {llamaBench}");

        PrintRatios(rows);
        PrintRoofline(rows, settings.Threads);
        PrintMemory(rows);
    }

    /// <summary>
    /// Each ONNX row's decode against its roofline: the read bandwidth measured just before the row (at the benchmark's
    /// thread count; best over rounds) ÷ the weight bytes one step reads.
    /// </summary>
    private static void PrintRoofline(IReadOnlyList<RuntimeResult> rows, int threads)
    {
        var ours = rows.Where(r => !IsGguf(r) && double.IsFinite(r.ReadMBPerToken) && double.IsFinite(r.ReadBandwidthGBps)).ToArray();
        if (ours.Length == 0) return;
        Console.WriteLine();
        Console.WriteLine($"Roofline: read bandwidth measured just before each row ({ReadBandwidth.Describe(threads)}) ÷ weights one decode step reads");
        Console.WriteLine();
        Console.WriteLine("| model | precision | runtime | weights read MB/token | decode tok/s | implied GB/s | measured GB/s | roofline tok/s | decode ÷ roofline |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in ours)
        {
            double roofline = r.ReadBandwidthGBps * 1e3 / r.ReadMBPerToken;
            Line($"| {r.Model} | {r.Precision} | {r.Runtime} | {F(r.ReadMBPerToken, "0")} | {F(r.DecodeTokensPerSecond, "0.0")} | " +
                 $"{F(r.DecodeTokensPerSecond * r.ReadMBPerToken / 1e3, "0.0")} | {F(r.ReadBandwidthGBps, "0.0")} | {F(roofline, "0.0")} | {F(r.DecodeTokensPerSecond / roofline, "0.00")} |");
        }
    }

    private static void PrintRatios(IReadOnlyList<RuntimeResult> rows)
    {
        var peers = rows.Where(IsGguf).ToArray();
        if (peers.Length == 0) return;
        Console.WriteLine();
        Console.WriteLine("Ours ÷ llama.cpp, same run (> 1: ours faster); pairs int8 : Q8_0, int4 : Q4_0, fp16 and fp32 : F16");
        Console.WriteLine();
        Console.WriteLine("| model | ours | llama.cpp | decode ÷ LLamaSharp | prefill ÷ LLamaSharp | decode ÷ native | prefill ÷ native |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var r in rows.Where(r => !IsGguf(r)))
        {
            string? type = r.Precision switch { "fp16" or "fp32" => "F16", "int8" => "Q8_0", "int4" => "Q4_0", _ => null };
            if (type is null) continue;
            var sharp = peers.FirstOrDefault(p => p.Model == r.Model && p.Precision == type && p.Runtime == LlamaCpp.Label);
            var native = peers.FirstOrDefault(p => p.Model == r.Model && p.Precision == type && p.Runtime == LlamaBench.Label);
            if (sharp is null && native is null) continue;
            Line($"| {r.Model} | {r.Precision} ({r.Runtime}) | {type} | {F(r.DecodeTokensPerSecond / (sharp?.DecodeTokensPerSecond ?? double.NaN), "0.00")} | " +
                 $"{F(r.PrefillTokensPerSecond / (sharp?.PrefillTokensPerSecond ?? double.NaN), "0.00")} | {F(r.DecodeTokensPerSecond / (native?.DecodeTokensPerSecond ?? double.NaN), "0.00")} | " +
                 $"{F(r.PrefillTokensPerSecond / (native?.PrefillTokensPerSecond ?? double.NaN), "0.00")} |");
        }
    }

    /// <summary>Where each ONNX row's memory goes: anonymous vs file-backed pages, overhead over weights + KV, and the load's overshoot.</summary>
    private static void PrintMemory(IReadOnlyList<RuntimeResult> rows)
    {
        Console.WriteLine();
        Console.WriteLine("Memory detail (MiB; anon = heap, arena, converted and packed weights; file = mmapped pages, e.g. external initializers)");
        Console.WriteLine();
        Console.WriteLine("| model | precision | runtime | file on disk | weights held | one layer | KV | anon / file after generating | peak gen − weights − KV | load peak − steady (peak gen) | within floor |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows.Where(r => !IsGguf(r)))
        {
            // Steady state is the generating peak: pages of mmapped weights and arena blocks are touched by the first runs, not at load.
            double overshoot = r.PeakLoadMiB - r.PeakGenerateMiB;
            Line($"| {r.Model} | {r.Precision} | {r.Runtime} | {F(r.FileMiB, "0")} | {F(r.KernelWeightMiB, "0")} | {F(r.LayerMiB, "0")} | {F(r.KvMiB, "0.0")} | " +
                 $"{F(r.AnonAfterMiB, "0")} / {F(r.FileAfterMiB, "0")} | {F(r.PeakGenerateMiB - r.KernelWeightMiB - r.KvMiB, "0")} | " +
                 $"{F(overshoot, "0")} ({F(overshoot / r.LayerMiB, "0.0")} layers) | {(r.PeakGenerateMiB <= FloorMiB(r) ? "yes" : "no")} |");
        }
    }

    private static bool IsGguf(RuntimeResult r) => r.Runtime is LlamaCpp.Label or LlamaBench.Label;

    private static string F(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "—";

    private static void Line(string text) => Console.WriteLine(text);

    private static string LoadAverage() =>
        OperatingSystem.IsLinux() && File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
