using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using OnnxLlm.Benchmarks;
using OnnxLlm.Benchmarks.Peers;

// Decode benchmark: synthetic Qwen2.5- or Qwen3-shaped models (weights generated from config + seed), exported at each
// precision, timed on this machine beside ONNX Runtime GenAI and llama.cpp. Every row runs in a child process of its
// own (so its memory figures are its own): our loop and GenAI each loaded through OnnxLlmChatClient (the SDK's load
// path, OnnxLlmOptions.Backend), llama.cpp via LLamaSharp on the GGUF of the same checkpoint, and natively built
// llama-bench when given. Printed as Markdown tables and written as JSON.
// Usage: dotnet run -c Release --project tests/OnnxLlm.Benchmarks -- [--configs DIR,...] (tests/TestData/configs:
//        qwen2.5-0.5b-instruct (default), qwen2.5-1.5b-instruct, qwen3-0.6b, qwen3-1.7b)
//        [--precisions fp32,fp16,int4,int4-fhead,int4-acc1,int8,int8-b32,int4-unpacked] (-fhead: float lm_head;
//        -accN: MatMulNBits accuracy_level; -bN: block size; -unpacked: q/k/v as three projections)
//        [--backends onnxllm,genai] [--peers llamasharp|none] [--llama-bench PATH] (or ONNXLLM_LLAMA_BENCH=PATH)
//        [--prompt 128] [--decode 64] [--threads 2] [--repetitions 3] [--rounds 1] [--spinning true|false]
//        [--bare-loop] (also the bare decode loop's per-token detail) [--profile] [--in-process] (bare loop only)
//        [--session-config key=value,...] (bare loop and profile only: the SDK rows use the SDK's own session options)
//        [--work DIR] [--json FILE]
//        --mode tokenizer: encode throughput on ~1 MB of text, ours against Microsoft.ML.Tokenizers (see TokenizerBenchmark).
//        --mode bandwidth: the read bandwidth the roofline table uses (ReadBandwidth), at 1 thread and --threads.
//        --mode kv-cache: one layer's attention step over a float vs an int8 KV cache (see KvCacheBenchmark).
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
if (settings.Mode == "bandwidth")
{
    // The roofline's yardstick alone: read bandwidth at 1 thread and at --threads, a few times in a row.
    for (int i = 0; i < 5; i++)
        Console.WriteLine($"read bandwidth: 1 thread {ReadBandwidth.MeasureGBps(1):0.0} GB/s, {settings.Threads} threads {ReadBandwidth.MeasureGBps(settings.Threads):0.0} GB/s");
    return 0;
}
if (settings.Mode == "kv-cache")
{
    KvCacheBenchmark.Run(settings);
    return 0;
}
if (settings.Mode == "masking")
{
    MaskingBenchmark.Run(settings);
    return 0;
}
if (settings.ChildResultPath is { } childResult)
{
    object result = settings switch
    {
        { SdkChildBackend: { } backend } => await SdkBenchmark.RunAsync(settings.Configs[0], settings.Variants[0], backend, settings),
        { PeerDecodeChildType: { } type } => await PeerDecodeBenchmark.RunAsync(settings.Configs[0], PeerServingBenchmark.ParseType(type), settings),
        { ChildProfileOnly: true } => await DecodeBenchmark.ProfileAsync(settings.Configs[0], settings.Variants[0], settings),
        _ => await DecodeBenchmark.RunAsync(settings.Configs[0], settings.Variants[0], settings),
    };
    File.WriteAllText(childResult, JsonSerializer.Serialize(result, result.GetType(), ResultTable.JsonOptions));
    return 0;
}

// The decode table: per model and precision, our loop and GenAI through the SDK, then llama.cpp on the matching GGUF
// (via LLamaSharp, and llama-bench when given), each row in a process of its own, rows of one precision back to back
// so that they see the same machine state.
var rows = new List<RuntimeResult>();
var loops = new List<DecodeBenchmarkResult>();
var profiles = new List<DecodeBenchmarkResult>();
string? llamaBench = LlamaBench.Path(settings);
bool fp16Widened = !OperatingSystem.IsMacOS() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture
    is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86;
for (int round = 0; round < settings.Rounds; round++)
foreach (var config in settings.Configs)
{
    if (settings.Rounds > 1) Console.Error.WriteLine($"-- round {round + 1} of {settings.Rounds}");
    var peersDone = new HashSet<GgmlType>();
    foreach (var variant in settings.Variants)
    {
        // Export once in this process so the children measure inference only (and the export's memory is not theirs).
        var (name, exported, _) = await DecodeBenchmark.PrepareAsync(config, variant, settings);
        var held = KernelWeights.Count(exported, fp16Widened);
        double kvMiB = held.KvBytesPerToken * (settings.PromptTokens + settings.DecodeTokens + 2) / (1024.0 * 1024.0);
        double readMB = WeightTraffic.Count(exported, fp16Widened) / 1e6;
        foreach (var backend in settings.Backends)
        {
            // The row's roofline, measured right before it rather than quoted: this VM's bandwidth drifts with its neighbours' load.
            double bandwidth = ReadBandwidth.MeasureGBps(settings.Threads);
            rows.Add(RunChild<RuntimeResult>(config, variant, settings, ["--sdk-child", backend.ToString()]) with
            {
                KernelWeightMiB = held.WeightBytes / (1024.0 * 1024.0), LayerMiB = held.LayerBytes / (1024.0 * 1024.0), KvMiB = kvMiB, FileMiB = held.FileBytes / (1024.0 * 1024.0),
                ReadMBPerToken = readMB, ReadBandwidthGBps = bandwidth,
            });
        }
        if (settings.BareLoop && round == 0)
            loops.Add(settings.InProcess ? await DecodeBenchmark.RunAsync(config, variant, settings) : RunChild<DecodeBenchmarkResult>(config, variant, settings, []));
        if (settings.Profile && round == 0) profiles.Add(RunChild<DecodeBenchmarkResult>(config, variant, settings, ["--child-profile"]));
        if (PeerType(variant) is not { } type || (!settings.LlamaSharpPeer && llamaBench is null) || !peersDone.Add(type)) continue;
        var (_, gguf) = await PeerModels.PrepareAsync(config, type, settings);
        if (settings.LlamaSharpPeer) rows.Add(RunChild<RuntimeResult>(config, variant, settings, ["--peer-decode-child", type.ToString()]));
        if (llamaBench is not null) rows.Add(LlamaBench.Run(llamaBench, gguf, name, type.ToString().ToUpperInvariant(), settings));
    }
}
if (settings.Rounds > 1) rows = RuntimeResult.BestOfRounds(rows);
SideBySideTable.Print(rows, settings, llamaBench);
if (loops.Count > 0) ResultTable.Print(loops, settings);
ResultTable.PrintProfiles(profiles);
ResultTable.WriteJson(rows, loops, profiles, settings.JsonPath);
return 0;

// llama.cpp's counterpart of each of our precisions: F16 for the float ones (it has no fp32 matmul path worth
// comparing), Q8_0 for int8 and Q4_0 for int4 (all "pure": every matrix in that type, see PeerModels).
static GgmlType? PeerType(BenchmarkVariant variant) => variant.Name switch
{
    "fp16" or "fp32" => GgmlType.F16,
    "int8" => GgmlType.Q8_0,
    "int4" => GgmlType.Q4_0,
    _ => null,
};

static T RunChild<T>(string config, BenchmarkVariant variant, BenchmarkSettings settings, string[] role)
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
        .. role,
    ];
    foreach (var a in childArgs) start.ArgumentList.Add(a);
    if (settings.Spinning is bool spin) { start.ArgumentList.Add("--spinning"); start.ArgumentList.Add(spin.ToString()); }
    if (settings.SessionConfig.Count > 0)
    {
        start.ArgumentList.Add("--session-config");
        start.ArgumentList.Add(string.Join(',', settings.SessionConfig.Select(kv => $"{kv.Key}={kv.Value}")));
    }
    using var process = Process.Start(start)!;
    process.WaitForExit();
    try
    {
        if (process.ExitCode != 0) throw new InvalidOperationException($"The benchmark child for {config} {variant.Name} ({string.Join(' ', role)}) exited with {process.ExitCode}.");
        return JsonSerializer.Deserialize<T>(File.ReadAllText(resultPath), ResultTable.JsonOptions)!;
    }
    finally
    {
        File.Delete(resultPath);
    }
}
