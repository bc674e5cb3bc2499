using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using OnnxLlm.Benchmarks;

// Decode benchmark: synthetic Qwen2.5- or Qwen3-shaped models (weights generated from config + seed), exported at each
// precision, timed on this machine. Each model × precision is measured in its own child process (so peak RSS is
// that row's own), then printed side by side as Markdown with the reference figures and written as JSON.
// Usage: dotnet run -c Release --project tests/OnnxLlm.Benchmarks -- [--configs DIR,...] (tests/TestData/configs:
//        qwen2.5-0.5b-instruct (default), qwen2.5-1.5b-instruct, qwen3-0.6b, qwen3-1.7b)
//        [--precisions fp32,fp16,int4,int4-fhead,int4-acc1,int8] (-fhead: float lm_head; -accN: MatMulNBits accuracy_level)
//        [--prompt 128] [--decode 64] [--threads 2] [--repetitions 3]
//        [--spinning true|false] [--session-config key=value,...] [--profile] [--in-process] [--work DIR] [--json FILE]
//        --mode tokenizer: encode throughput on ~1 MB of text, ours against Microsoft.ML.Tokenizers (see TokenizerBenchmark).
//        --mode masking: per-token cost of JSON-schema constrained decoding (see MaskingBenchmark).
//        --mode serving: multi-turn prefix reuse and 1/2/4/8 parallel streams through the engine (see ServingBenchmark).
//        --mode serving-peer [--peer-types f16,q8_0,q4_0]: the serving workload on llama.cpp via LLamaSharp (Peers/).
//        --mode serving-all: --mode serving, then --mode serving-peer, in one run.
//        --mode peer-check: llama.cpp's logits against the goldens and our export of the same checkpoint (Peers/).
var settings = BenchmarkSettings.Parse(args);
if (settings.Mode is "serving" or "serving-all")
{
    await ServingBenchmark.RunAsync(settings);
    // serving-all: llama.cpp's rows in the same run, right after ours, on the same machine state.
    if (settings.Mode == "serving-all") await OnnxLlm.Benchmarks.Peers.PeerServingBenchmark.RunAsync(settings);
    return 0;
}
if (settings.Mode == "serving-peer")
{
    await OnnxLlm.Benchmarks.Peers.PeerServingBenchmark.RunAsync(settings);
    return 0;
}
if (settings.Mode == "peer-check")
    return await OnnxLlm.Benchmarks.Peers.PeerLogitsCheck.RunAsync(settings) ? 0 : 1;
if (settings.Mode == "tokenizer")
{
    TokenizerBenchmark.Run(settings);
    return 0;
}
if (settings.Mode == "masking")
{
    MaskingBenchmark.Run(settings);
    return 0;
}
if (settings.ChildResultPath is { } childResult)
{
    var result = settings.ChildProfileOnly
        ? await DecodeBenchmark.ProfileAsync(settings.Configs[0], settings.Variants[0], settings)
        : await DecodeBenchmark.RunAsync(settings.Configs[0], settings.Variants[0], settings, peakIsPerRow: true);
    File.WriteAllText(childResult, JsonSerializer.Serialize(result, ResultTable.JsonOptions));
    return 0;
}

var results = new List<DecodeBenchmarkResult>();
var profiles = new List<DecodeBenchmarkResult>();
foreach (var config in settings.Configs)
    foreach (var variant in settings.Variants)
    {
        if (settings.InProcess)
        {
            results.Add(await DecodeBenchmark.RunAsync(config, variant, settings, peakIsPerRow: false));
            if (settings.Profile) profiles.Add(await DecodeBenchmark.ProfileAsync(config, variant, settings));
            continue;
        }
        // Export once in this process so the children measure inference only (and the export's memory is not theirs).
        await DecodeBenchmark.PrepareAsync(config, variant, settings);
        results.Add(RunChild(config, variant, settings, profile: false));
        if (settings.Profile) profiles.Add(RunChild(config, variant, settings, profile: true));
    }
ResultTable.Print(results, settings);
ResultTable.PrintProfiles(profiles);
ResultTable.WriteJson(results, profiles, settings.JsonPath);
return 0;

static DecodeBenchmarkResult RunChild(string config, BenchmarkVariant variant, BenchmarkSettings settings, bool profile)
{
    string resultPath = Path.Combine(Path.GetTempPath(), $"onnxllm-bench-{Environment.ProcessId}-{Guid.NewGuid():N}.json");
    string exe = Environment.ProcessPath!;
    var start = new ProcessStartInfo(exe) { UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(exe) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
    string[] childArgs =
    [
        "--configs", config, "--precisions", variant.Name, "--prompt", settings.PromptTokens.ToString(),
        "--decode", settings.DecodeTokens.ToString(), "--threads", settings.Threads.ToString(),
        "--repetitions", settings.Repetitions.ToString(), "--work", settings.WorkDirectory, "--child-result", resultPath,
    ];
    foreach (var a in childArgs) start.ArgumentList.Add(a);
    if (settings.Spinning is bool spin) { start.ArgumentList.Add("--spinning"); start.ArgumentList.Add(spin.ToString()); }
    if (settings.SessionConfig.Count > 0)
    {
        start.ArgumentList.Add("--session-config");
        start.ArgumentList.Add(string.Join(',', settings.SessionConfig.Select(kv => $"{kv.Key}={kv.Value}")));
    }
    if (profile) start.ArgumentList.Add("--child-profile");
    using var process = Process.Start(start)!;
    process.WaitForExit();
    try
    {
        if (process.ExitCode != 0) throw new InvalidOperationException($"The benchmark child for {config} {variant.Name} exited with {process.ExitCode}.");
        return JsonSerializer.Deserialize<DecodeBenchmarkResult>(File.ReadAllText(resultPath), ResultTable.JsonOptions)!;
    }
    finally
    {
        File.Delete(resultPath);
    }
}
