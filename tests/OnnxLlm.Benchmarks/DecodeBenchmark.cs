using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Inference;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Measures one exported model: prefill of a random prompt, then greedy decode through the KV cache,
/// twice — the bare loop (decoder state + sampler, where the allocation budget is 0 bytes per token)
/// and the full streaming engine (detokenizer, stop checks, channel to the consumer).
/// </summary>
internal static class DecodeBenchmark
{
    public static async Task<DecodeBenchmarkResult> RunAsync(string configDirectory, ExportPrecision precision, BenchmarkSettings settings)
    {
        string name = Path.GetFileName(configDirectory.TrimEnd('/'));
        string checkpoint = Path.Combine(settings.WorkDirectory, name + "-hf");
        string exported = Path.Combine(settings.WorkDirectory, $"{name}-{precision.ToString().ToLowerInvariant()}");
        Console.Error.WriteLine($"== {name} {precision}");
        if (!File.Exists(Path.Combine(checkpoint, "config.json")))
        {
            Console.Error.WriteLine($"   writing synthetic checkpoint to {checkpoint}");
            await SyntheticCheckpointWriter.WriteAsync(Path.Combine(configDirectory, "config.json"), 1, checkpoint, new SyntheticCheckpointOptions { Overwrite = true });
            foreach (var file in new[] { "vocab.json", "merges.txt" })
                File.Copy(Path.Combine("tests/TestData/tokenizer/qwen2.5", file), Path.Combine(checkpoint, file), true);
            File.Copy("tests/TestData/tokenizer/qwen2.5/instruct/tokenizer_config.json", Path.Combine(checkpoint, "tokenizer_config.json"), true);
        }
        double exportSeconds = 0;
        if (!File.Exists(Path.Combine(exported, "genai_config.json")))
        {
            var sw = Stopwatch.StartNew();
            await Qwen2Exporter.ExportAsync(new ExportOptions
            {
                InputDirectory = checkpoint, OutputDirectory = exported, Precision = precision, Overwrite = true,
                MaxLength = 4096,
            });
            exportSeconds = sw.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"   exported in {exportSeconds:0.0} s");
        }

        using var sessionOptions = new SessionOptions { IntraOpNumThreads = settings.Threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var model = DecoderModel.Load(exported, sessionOptions);
        var tokenizer = QwenTokenizer.FromDirectory(exported);
        var random = new Random(123);
        var prompt = Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(0, 151643)).ToArray();

        var prefill = new List<double>(); var ttft = new List<double>(); var decode = new List<double>(); var loopBytes = new List<double>();
        using var state = model.CreateState(settings.PromptTokens + settings.DecodeTokens + 8);
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
            long decodeStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < settings.DecodeTokens; i++)
            {
                state.Decode(token);
                token = sampler.Sample(state.MutableLogits);
                sampler.Accept(token);
            }
            double decodeSeconds = Stopwatch.GetElapsedTime(decodeStart).TotalSeconds;
            long bytes = GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            if (rep == 0) continue;
            prefill.Add(settings.PromptTokens / prefillSeconds);
            ttft.Add(firstMs);
            decode.Add(settings.DecodeTokens / decodeSeconds);
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

        return new DecodeBenchmarkResult
        {
            Model = name,
            Precision = precision.ToString().ToLowerInvariant(),
            PrefillTokensPerSecond = Median(prefill),
            TimeToFirstTokenMs = Median(ttft),
            DecodeTokensPerSecond = Median(decode),
            LoopBytesPerToken = Median(loopBytes),
            EngineBytesPerToken = Median(engineBytes),
            EngineDecodeTokensPerSecond = Median(engineRate),
            PeakWorkingSetMiB = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
            ExportSeconds = exportSeconds,
        };
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }
}
