using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Inference;
using OnnxLlm.Inference.Gqa;
using OnnxLlm.Runtime;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// The bare loop (--bare-loop): one exported model's prefill of a random prompt, then greedy decode through the KV
/// cache, twice — the decoder state + sampler alone (where the allocation budget is 0 bytes per token) and a
/// <see cref="GenerationEngine"/> beside it (detokenizer, stop checks, channel to the consumer). Sessions are built by
/// the SDK's own <see cref="SessionOptionsFactory"/> (plus any --session-config entries). This process holds a
/// second KV state and engine next to the loop, so it reports no memory: the decode table's memory columns come
/// from <see cref="SdkBenchmark"/>, which loads the model as a user's process does.
/// </summary>
internal static class DecodeBenchmark
{
    /// <summary>Writes the synthetic checkpoint and exports it for the variant, once (cached under the work folder).</summary>
    public static async Task<(string Name, string Exported, double ExportSeconds)> PrepareAsync(string configDirectory, BenchmarkVariant variant, BenchmarkSettings settings)
    {
        string name = Path.GetFileName(configDirectory.TrimEnd('/'));
        string checkpoint = Path.Combine(settings.WorkDirectory, name + "-hf");
        string exported = Path.Combine(settings.WorkDirectory, $"{name}-{variant.Name}");
        if (!File.Exists(Path.Combine(checkpoint, "config.json")))
        {
            Console.Error.WriteLine($"   writing synthetic checkpoint to {checkpoint}");
            string config = Path.Combine(configDirectory, "config.json");
            await SyntheticCheckpointWriter.WriteAsync(config, 1, checkpoint, new SyntheticCheckpointOptions { Overwrite = true });
            // Qwen3 shares Qwen2.5's vocab and merges; its tokenizer_config.json adds the think / tool_response tokens.
            foreach (var file in new[] { "vocab.json", "merges.txt" })
                File.Copy(Path.Combine("tests/TestData/tokenizer/qwen2.5", file), Path.Combine(checkpoint, file), true);
            string tokenizerConfig = Qwen2Config.Load(config).ModelType == Qwen2Config.Qwen3ModelType
                ? "tests/TestData/tokenizer/qwen3/tokenizer_config.json"
                : "tests/TestData/tokenizer/qwen2.5/instruct/tokenizer_config.json";
            File.Copy(tokenizerConfig, Path.Combine(checkpoint, "tokenizer_config.json"), true);
        }
        double exportSeconds = 0;
        if (!File.Exists(Path.Combine(exported, "genai_config.json")))
        {
            var sw = Stopwatch.StartNew();
            await Qwen2Exporter.ExportAsync(new ExportOptions
            {
                InputDirectory = checkpoint, OutputDirectory = exported, Precision = variant.Precision, Overwrite = true,
                MaxLength = 4096, PackProjections = variant.PackProjections,
                Quantization = new QuantizationOptions
                {
                    QuantizeLmHead = variant.QuantizeLmHead,
                    AccuracyLevel = variant.AccuracyLevel ?? QuantizationOptions.DefaultAccuracyLevel,
                    BlockSize = variant.BlockSize,
                    Asymmetric = variant.Asymmetric,
                },
            });
            exportSeconds = sw.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"   exported in {exportSeconds:0.0} s");
        }
        return (name, exported, exportSeconds);
    }

    private static SessionOptions CreateSessionOptions(string exported, BenchmarkSettings settings)
    {
        var options = SessionOptionsFactory.Create(new OnnxLlmOptions { IntraOpThreads = settings.Threads, AllowSpinning = settings.Spinning }, exported, NullLogger.Instance);
        foreach (var (key, value) in settings.SessionConfig) options.AddSessionConfigEntry(key, value);
        return options;
    }

    public static async Task<DecodeBenchmarkResult> RunAsync(string configDirectory, BenchmarkVariant variant, BenchmarkSettings settings)
    {
        Console.Error.WriteLine($"== {Path.GetFileName(configDirectory.TrimEnd('/'))} {variant.Name}");
        var (name, exported, exportSeconds) = await PrepareAsync(configDirectory, variant, settings);

        int threadsBefore = ThreadCount();
        using var sessionOptions = CreateSessionOptions(exported, settings);
        using var model = DecoderModel.Load(exported, sessionOptions);
        // ORT's intra-op pool has (threads − 1) workers; the calling thread is the other one.
        Console.Error.WriteLine($"   session loaded: {ThreadCount() - threadsBefore} threads added (intra-op setting {settings.Threads}; 0 = ORT's default)");
        var tokenizer = QwenTokenizer.FromDirectory(exported);
        var prompt = SdkBenchmark.RandomPrompt(settings.PromptTokens, seed: 123);

        var prefill = new List<double>(); var ttft = new List<double>(); var decode = new List<double>(); var loopBytes = new List<double>();
        var outside = new List<double>();
        using var state = model.CreateState(settings.PromptTokens + settings.DecodeTokens + 8);
        var timedState = state as DecoderState; // the GenAI-contract state counts its time inside Run
        for (int rep = 0; rep <= settings.Repetitions; rep++) // the first pass warms up and is not counted
        {
            state.Reset();
            var sampler = new TokenSampler(new SamplingOptions { Temperature = 0 }, model.Config.VocabSize, prompt);
            long start = Stopwatch.GetTimestamp();
            state.Prefill(prompt);
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            int token = sampler.Sample(state.MutableLogits);
            sampler.Accept(token);
            double firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            // The first decode step rebinds inputs and outputs for the decode shape (a one-time cost per
            // generation); steady state starts after it, and that is what the per-token figures measure.
            state.Decode(token);
            token = sampler.Sample(state.MutableLogits);
            sampler.Accept(token);
            long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            long runTicksBefore = timedState?.RunTicks ?? 0;
            long decodeStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < settings.DecodeTokens; i++)
            {
                state.Decode(token);
                token = sampler.Sample(state.MutableLogits);
                sampler.Accept(token);
            }
            long decodeTicks = Stopwatch.GetTimestamp() - decodeStart;
            long runTicks = (timedState?.RunTicks ?? 0) - runTicksBefore;
            long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            if (rep == 0) continue;
            prefill.Add(settings.PromptTokens / prefillSeconds);
            ttft.Add(firstMs);
            decode.Add(settings.DecodeTokens / ((double)decodeTicks / Stopwatch.Frequency));
            outside.Add(timedState is null ? double.NaN : 1 - (double)runTicks / decodeTicks);
            loopBytes.Add((double)bytes / settings.DecodeTokens);
        }

        // The full engine: the same work plus detokenization, stop checks and streaming to a consumer.
        using var engine = new GenerationEngine(model, tokenizer);
        var engineRate = new List<double>(); var engineBytes = new List<double>();
        for (int rep = 0; rep <= settings.Repetitions; rep++)
        {
            var request = new GenerationRequest { PromptTokens = prompt, MaxNewTokens = settings.DecodeTokens + 1, Sampling = new SamplingOptions { Temperature = 0 } };
            // Per-generation setup (KV state, sampler buffers) is paid before the first token; the per-token
            // figures are taken from the first streamed token to the last, over the whole streaming path.
            long first = 0, end = 0, bytesAtFirst = 0;
            await foreach (var update in engine.GenerateAsync(request))
            {
                if (update.TokenId >= 0 && first == 0)
                {
                    first = Stopwatch.GetTimestamp();
                    bytesAtFirst = GC.GetTotalAllocatedBytes(precise: true);
                }
                end = Stopwatch.GetTimestamp();
            }
            long bytes = GC.GetTotalAllocatedBytes(precise: true) - bytesAtFirst;
            if (rep == 0) continue;
            engineRate.Add(settings.DecodeTokens / Stopwatch.GetElapsedTime(first, end).TotalSeconds);
            engineBytes.Add((double)bytes / settings.DecodeTokens);
        }

        long weightBytes = WeightTraffic.Count(exported, fp16WeightsReadAsFp32: !OperatingSystem.IsMacOS() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.X86);
        double decodeRate = Median(decode);
        return new DecodeBenchmarkResult
        {
            Model = name,
            Precision = variant.Name,
            PrefillTokensPerSecond = Median(prefill),
            TimeToFirstTokenMs = Median(ttft),
            DecodeTokensPerSecond = decodeRate,
            OutsideRunFraction = Median(outside),
            LoopBytesPerToken = Median(loopBytes),
            EngineBytesPerToken = Median(engineBytes),
            EngineDecodeTokensPerSecond = Median(engineRate),
            WeightBytesPerToken = weightBytes,
            WeightGigabytesPerSecond = weightBytes * decodeRate / 1e9,
            ExportSeconds = exportSeconds,
        };
    }

    /// <summary>
    /// One prefill and a decode run with ONNX Runtime's profiler on (in its own session, so profiling does not slow
    /// the timed runs), summarized per operator type over the decode steps.
    /// </summary>
    public static async Task<DecodeBenchmarkResult> ProfileAsync(string configDirectory, BenchmarkVariant variant, BenchmarkSettings settings)
    {
        Console.Error.WriteLine($"== profile {Path.GetFileName(configDirectory.TrimEnd('/'))} {variant.Name}");
        var (name, exported, _) = await PrepareAsync(configDirectory, variant, settings);
        using var sessionOptions = CreateSessionOptions(exported, settings);
        // The prefix is passed to ORT when profiling is switched on, so it must be set first.
        sessionOptions.ProfileOutputPathPrefix = Path.Combine(Path.GetFullPath(settings.WorkDirectory), $"profile-{name}-{variant.Name}");
        sessionOptions.EnableProfiling = true;
        using var model = DecoderModel.Load(exported, sessionOptions);
        var prompt = SdkBenchmark.RandomPrompt(settings.PromptTokens, seed: 123);
        using var state = model.CreateState(settings.PromptTokens + settings.DecodeTokens + 8);
        var sampler = new TokenSampler(new SamplingOptions { Temperature = 0 }, model.Config.VocabSize, prompt);
        state.Prefill(prompt);
        int token = sampler.Sample(state.MutableLogits);
        for (int i = 0; i <= settings.DecodeTokens; i++)
        {
            sampler.Accept(token);
            state.Decode(token);
            token = sampler.Sample(state.MutableLogits);
        }
        string file = model.Session.EndProfiling();
        // Runs: the prefill, then the first decode step (rebinding), then the steady decode steps.
        var (byOp, top, runMs, kernelMs) = OrtProfile.Summarize(file, skipRuns: 2);
        var (prefillByOp, _, prefillMs, _) = OrtProfile.Summarize(file, skipRuns: 0, takeRuns: 1);
        Console.Error.WriteLine($"   profile: {file}");
        return new DecodeBenchmarkResult
        {
            Model = name, Precision = variant.Name, PrefillTokensPerSecond = double.NaN, TimeToFirstTokenMs = double.NaN,
            DecodeTokensPerSecond = double.NaN, OutsideRunFraction = double.NaN, LoopBytesPerToken = double.NaN,
            EngineBytesPerToken = double.NaN, EngineDecodeTokensPerSecond = double.NaN,
            WeightBytesPerToken = 0, WeightGigabytesPerSecond = double.NaN, ExportSeconds = 0,
            ProfileRunMsPerStep = runMs, ProfileKernelMsPerStep = kernelMs, ProfileByOp = byOp, ProfileTopNodes = top,
            ProfilePrefillRunMs = prefillMs, ProfilePrefillByOp = prefillByOp,
        };
    }

    private static int ThreadCount() => OperatingSystem.IsLinux() ? Directory.GetDirectories("/proc/self/task").Length : Process.GetCurrentProcess().Threads.Count;

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }
}
