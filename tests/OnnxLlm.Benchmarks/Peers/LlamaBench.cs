using System.Diagnostics;
using System.Text.Json;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// Natively built llama.cpp's own benchmark, llama-bench, on the same GGUF files as the LLamaSharp rows: it is
/// compiled for this CPU (the prebuilt LLamaSharp library is not), so its rows are the fair prefill and decode
/// yardstick. Its path comes from --llama-bench PATH or ONNXLLM_LLAMA_BENCH; no build of llama.cpp is part of this
/// repository. It reports throughput only (pp = prompt of --prompt tokens, tg = --decode tokens generated), as the
/// mean over --repetitions runs after its own warm-up; memory and time to first token are not its to give.
/// </summary>
internal static class LlamaBench
{
    public const string Label = "llama.cpp native (llama-bench)";

    public static string? Path(BenchmarkSettings settings) =>
        settings.LlamaBenchPath ?? (Environment.GetEnvironmentVariable("ONNXLLM_LLAMA_BENCH") is { Length: > 0 } env ? env : null);

    public static RuntimeResult Run(string exe, string gguf, string model, string type, BenchmarkSettings settings)
    {
        Console.Error.WriteLine($"== {model} {type} on {Label}");
        var start = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
                 {
                     "-m", gguf, "-t", settings.Threads.ToString(), "-p", settings.PromptTokens.ToString(),
                     "-n", settings.DecodeTokens.ToString(), "-r", settings.Repetitions.ToString(), "-o", "json",
                 })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {exe}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{exe} exited with {process.ExitCode}: {stderr.Result}");
        double prefill = double.NaN, decode = double.NaN;
        foreach (var test in JsonDocument.Parse(json).RootElement.EnumerateArray())
        {
            int prompt = test.GetProperty("n_prompt").GetInt32(), generated = test.GetProperty("n_gen").GetInt32();
            double rate = test.GetProperty("avg_ts").GetDouble();
            if (prompt > 0 && generated == 0) prefill = rate;
            else if (generated > 0 && prompt == 0) decode = rate;
        }
        double file = new FileInfo(gguf).Length / (1024.0 * 1024.0);
        return new RuntimeResult
        {
            Model = model, Precision = type, Runtime = Label, PrefillTokensPerSecond = prefill, DecodeTokensPerSecond = decode,
            KernelWeightMiB = file, FileMiB = file, DecodedTokens = settings.DecodeTokens,
        };
    }
}
