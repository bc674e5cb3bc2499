using System.Globalization;
using System.Text.Json;

namespace OnnxLlm.Benchmarks;

/// <summary>Prints results as one Markdown table (side by side) and saves them as JSON for comparisons.</summary>
internal static class ResultTable
{
    /// <summary>The bare loop's table (--bare-loop): per-token detail of our decode loop; no memory (see SideBySideTable).</summary>
    public static void Print(IReadOnlyList<DecodeBenchmarkResult> results, BenchmarkSettings settings)
    {
        Console.WriteLine();
        Console.WriteLine($"Bare decode loop (DecoderState + sampler) and a GenerationEngine beside it, same process; prompt {settings.PromptTokens}, decode {settings.DecodeTokens}, {settings.Threads} threads, median of {settings.Repetitions}");
        Console.WriteLine();
        Console.WriteLine("| model | precision | prefill tok/s | TTFT ms | decode tok/s (loop) | decode tok/s (engine) | outside Run | managed B/token (loop / engine) | weights read MB/token | implied GB/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Model} | {r.Precision} | {r.PrefillTokensPerSecond:0.0} | {r.TimeToFirstTokenMs:0} | {r.DecodeTokensPerSecond:0.0} | " +
                $"{r.EngineDecodeTokensPerSecond:0.0} | {r.OutsideRunFraction * 100:0.00}% | {r.LoopBytesPerToken:0} / {r.EngineBytesPerToken:0} | " +
                $"{r.WeightBytesPerToken / 1e6:0} | {r.WeightGigabytesPerSecond:0.0} |"));
        Console.WriteLine();
        Console.WriteLine("outside Run: share of the bare decode loop's wall time not inside ONNX Runtime's Run (sampling, binding, bookkeeping); target < 1%.");
        Console.WriteLine("weights read: every MatMul/Gemm/MatMulNBits weight (MatMulNBits: codes + scales + zero points), lm_head included, plus one embedding row; " +
                          "implied GB/s = that × decode tok/s. On x86 ONNX Runtime has no fp16 MatMul/Gemm kernel and converts those weights to fp32 at load, " +
                          "so fp16 rows count (and read) 4 bytes per MatMul/Gemm weight. \"-fhead\" = lm_head kept float (a Gemm) instead of quantized (MatMulNBits, the default).");
    }

    public static void PrintProfiles(IReadOnlyList<DecodeBenchmarkResult> profiles)
    {
        foreach (var p in profiles)
        {
            Console.WriteLine();
            Console.WriteLine($"Profile {p.Model} {p.Precision}: Run {p.ProfileRunMsPerStep:0.00} ms/step, kernels {p.ProfileKernelMsPerStep:0.00} ms/step (profiler on; decode steps only)");
            Console.WriteLine();
            Console.WriteLine("| op | nodes/step | ms/step | % of Run |");
            Console.WriteLine("|---|---:|---:|---:|");
            foreach (var o in p.ProfileByOp!.Take(10))
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {o.Op} | {o.NodesPerStep} | {o.MsPerStep:0.000} | {o.PercentOfRun:0.0}% |"));
            if (p.ProfilePrefillByOp is { Count: > 0 } prefill)
            {
                Console.WriteLine();
                Console.WriteLine($"Prefill of the prompt (one Run, {p.ProfilePrefillRunMs:0} ms with the profiler on):");
                Console.WriteLine();
                Console.WriteLine("| op | nodes | ms | % of Run |");
                Console.WriteLine("|---|---:|---:|---:|");
                foreach (var o in prefill.Take(6))
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {o.Op} | {o.NodesPerStep} | {o.MsPerStep:0.0} | {o.PercentOfRun:0.0}% |"));
            }
            Console.WriteLine();
            Console.WriteLine("| top nodes | ms/step | % of Run |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var o in p.ProfileTopNodes!)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {o.Op} | {o.MsPerStep:0.000} | {o.PercentOfRun:0.0}% |"));
        }
    }

    /// <summary>JSON settings shared by the report and the child processes' results (NaN marks a figure not taken).</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteJson(IReadOnlyList<RuntimeResult> rows, IReadOnlyList<DecodeBenchmarkResult> bareLoop, IReadOnlyList<DecodeBenchmarkResult> profiles, string path)
    {
        File.WriteAllText(path, JsonSerializer.Serialize(new { rows, bareLoop, profiles }, JsonOptions));
        Console.WriteLine();
        Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
    }
}
