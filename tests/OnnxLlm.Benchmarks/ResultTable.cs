using System.Globalization;
using System.Text.Json;

namespace OnnxLlm.Benchmarks;

/// <summary>Prints results as one Markdown table (side by side) and saves them as JSON for comparisons.</summary>
internal static class ResultTable
{
    /// <summary>
    /// The issue's reference figures (llama.cpp, same shapes, 2 threads, this machine kind): prefill tok/s of F16
    /// (compared with the fp16/fp32 rows) and Q4_0 (int4 rows), and the decode tok/s targets.
    /// </summary>
    private static (double? Prefill, string PrefillLabel, double? Decode) Reference(string model, string precision)
    {
        bool small = model.Contains("0.5b", StringComparison.OrdinalIgnoreCase);
        bool large = model.Contains("1.5b", StringComparison.OrdinalIgnoreCase);
        if (!small && !large) return (null, "", null);
        bool int4 = precision.StartsWith("int4", StringComparison.Ordinal);
        bool fp = precision is "fp16" or "fp32";
        double? prefill = int4 ? (small ? 400 : 101) : fp ? (small ? 248 : 89) : null;
        string label = int4 ? "Q4_0" : "F16";
        double? decode = int4 ? (small ? 79 : 23) : precision == "fp16" && small ? 13 : null;
        return (prefill, label, decode);
    }

    public static void Print(IReadOnlyList<DecodeBenchmarkResult> results, BenchmarkSettings settings)
    {
        Console.WriteLine();
        Console.WriteLine($"Prompt {settings.PromptTokens} tokens, decode {settings.DecodeTokens} tokens, {settings.Threads} threads, median of {settings.Repetitions}; " +
                          $"{Environment.ProcessorCount} logical cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine();
        Console.WriteLine("| model | precision | prefill tok/s | TTFT ms | decode tok/s (loop) | decode tok/s (engine) | outside Run | managed B/token (loop / engine) | peak RSS MiB | weights read MB/token | implied GB/s | vs reference (prefill; decode) |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var r in results)
        {
            var (prefillRef, label, decodeRef) = Reference(r.Model, r.Precision);
            string vs = (prefillRef is double p ? $"prefill {r.PrefillTokensPerSecond / p:0.00}× {label} ({p:0})" : "prefill —") + "; " +
                        (decodeRef is double d ? $"decode {r.DecodeTokensPerSecond / d:0.00}× target ({d:0})" : "decode —");
            Console.WriteLine($"| {r.Model} | {r.Precision} | {r.PrefillTokensPerSecond:0.0} | {r.TimeToFirstTokenMs:0} | {r.DecodeTokensPerSecond:0.0} | " +
                              $"{r.EngineDecodeTokensPerSecond:0.0} | {r.OutsideRunFraction * 100:0.00}% | {r.LoopBytesPerToken:0} / {r.EngineBytesPerToken:0} | " +
                              $"{r.PeakWorkingSetMiB:0}{(r.PeakIsPerRow ? "" : "*")} | {r.WeightBytesPerToken / 1e6:0} | {r.WeightGigabytesPerSecond:0.0} | {vs} |");
        }
        Console.WriteLine();
        Console.WriteLine("outside Run: share of the bare decode loop's wall time not inside ONNX Runtime's Run (sampling, binding, bookkeeping); target < 1%.");
        Console.WriteLine("peak RSS: VmHWM of a process that measured only that row" +
                          (results.Any(r => !r.PeakIsPerRow) ? "; * = measured in one process (--in-process), so it includes every earlier row." : "."));
        Console.WriteLine("weights read: every MatMul/Gemm/MatMulNBits weight (MatMulNBits: codes + scales + zero points), lm_head included, plus one embedding row; " +
                          "implied GB/s = that × decode tok/s. On x86 ONNX Runtime has no fp16 MatMul/Gemm kernel and converts those weights to fp32 at load, " +
                          "so fp16 rows count (and read) 4 bytes per MatMul/Gemm weight. \"-fhead\" = lm_head kept float (a Gemm) instead of quantized (MatMulNBits, the default).");
        Console.WriteLine("reference: llama.cpp on this machine kind, same shapes, 2 threads — prefill F16 (fp16/fp32 rows) or Q4_0 (int4 rows); decode targets int4 ≥ 79 (0.5B) / ≥ 23 (1.5B), fp16 ≥ 13 (0.5B).");
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

    public static void WriteJson(IReadOnlyList<DecodeBenchmarkResult> results, IReadOnlyList<DecodeBenchmarkResult> profiles, string path)
    {
        File.WriteAllText(path, JsonSerializer.Serialize(new { results, profiles }, JsonOptions));
        Console.WriteLine();
        Console.WriteLine($"Wrote {Path.GetFullPath(path)}");
    }
}
