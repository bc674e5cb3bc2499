using System.Text.Json;
using LLama;
using LLama.Batched;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Inference;
using OnnxLlm.Runtime;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// The peer computes the same function as we do, or its figures mean nothing: the GGUF holds the same weights, so
/// llama.cpp's last-position logits for a prompt must agree with OnnxLlm's export of the same checkpoint, and (for
/// the tiny fixture) with the transformers goldens. Prints max |Δlogit| and whether the argmax agrees.
/// </summary>
internal static class PeerLogitsCheck
{
    private const int PromptLength = 32, PromptSeed = 5;

    /// <summary>Returns false when any comparison fails its bound.</summary>
    public static async Task<bool> RunAsync(BenchmarkSettings settings)
    {
        bool ok = await TinyGoldensAsync(settings);
        foreach (var config in settings.Configs)
            ok &= await AgainstOnnxLlmAsync(config, settings);
        return ok;
    }

    /// <summary>llama.cpp on the qwen2-tiny fixture (head_dim 16) against transformers' float32 goldens.</summary>
    private static async Task<bool> TinyGoldensAsync(BenchmarkSettings settings)
    {
        string dir = Path.Combine(settings.WorkDirectory, "qwen2-tiny-peer");
        string checkpoint = Path.Combine(dir, "hf");
        using var golden = JsonDocument.Parse(File.ReadAllBytes("tests/TestData/qwen2-tiny/golden.json"));
        var root = golden.RootElement;
        if (!File.Exists(Path.Combine(checkpoint, "model.safetensors")))
        {
            await SyntheticCheckpointWriter.WriteAsync("tests/TestData/qwen2-tiny/config.json", root.GetProperty("seed").GetUInt64(), checkpoint,
                new SyntheticCheckpointOptions { Overwrite = true });
            CopyTokenizer(checkpoint);
        }
        Console.WriteLine($"\n### {LlamaCpp.Label}: qwen2-tiny (head_dim 16) last-position logits against the transformers goldens\n");
        Console.WriteLine("| GGUF | case | tokens | max abs diff | argmax agrees |\n|---|---|---:|---:|---|");
        bool ok = true;
        foreach (var type in new[] { GgmlType.F32, GgmlType.F16 })
        {
            string gguf = Path.Combine(dir, $"qwen2-tiny-{type.ToString().ToLowerInvariant()}.gguf");
            Qwen2GgufConverter.Convert(checkpoint, gguf, type);
            var parameters = Exact(LlamaCpp.Parameters(gguf, settings.Threads));
            using var weights = LlamaCpp.Load(parameters);
            foreach (var c in root.GetProperty("cases").EnumerateArray())
            {
                int[] ids = c.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var expected = ReadFloats(Path.Combine("tests/TestData/qwen2-tiny", c.GetProperty("last_position_logits").GetProperty("file").GetString()!));
                var actual = await LastLogitsAsync(weights, parameters, ids);
                var (diff, agree) = Compare(expected, actual);
                // F32 weights, F32 cache, no flash attention: float32 arithmetic throughout, as transformers' (measured
                // ~6e-6 on logits of magnitude ~10). F16 weights round the bf16 values. Real conversion faults are far
                // above both (the goldens' sensitivity: qkv bias dropped, rope theta or GQA layout wrong, >= 2.4).
                bool pass = agree && diff < (type == GgmlType.F32 ? 1e-4 : 0.05);
                ok &= pass;
                Console.WriteLine($"| {type} | {c.GetProperty("name").GetString()} | {ids.Length} | {diff:0.000000} | {(agree ? "yes" : "NO")}{(pass ? "" : " (FAIL)")} |");
            }
        }
        return ok;
    }

    /// <summary>llama.cpp's F16 GGUF against OnnxLlm's export (first --precisions variant) of the same synthetic checkpoint.</summary>
    private static async Task<bool> AgainstOnnxLlmAsync(string config, BenchmarkSettings settings)
    {
        var variant = settings.Variants[0];
        var (name, exported, _) = await DecodeBenchmark.PrepareAsync(config, variant, settings);
        string gguf = PeerModels.GgufPath(settings, name, GgmlType.F16);
        PeerModels.EnsureF16(settings, name);
        var random = new Random(PromptSeed);
        int[] ids = Enumerable.Range(0, PromptLength).Select(_ => random.Next(0, 151643)).ToArray();

        float[] ours;
        using (var options = SessionOptionsFactory.Create(new OnnxLlmOptions { IntraOpThreads = settings.Threads }, exported, NullLogger.Instance))
        using (var model = DecoderModel.Load(exported, options))
        using (var state = model.CreateState(PromptLength + 8))
            ours = state.Prefill(ids).ToArray();
        double scale = ours.Max(Math.Abs);
        Console.WriteLine($"\n### {LlamaCpp.Label} F16 GGUF against OnnxLlm {variant.Name}: {name}, {PromptLength} random tokens (seed {PromptSeed}), max |logit| {scale:0.0}\n");
        Console.WriteLine("| llama.cpp settings | max abs diff | argmax (ours / llama.cpp) |\n|---|---:|---|");
        bool ok = true;
        foreach (bool exact in new[] { false, true })
        {
            var parameters = LlamaCpp.Parameters(gguf, settings.Threads);
            if (exact) parameters = Exact(parameters);
            float[] theirs;
            using (var weights = LlamaCpp.Load(parameters))
                theirs = await LastLogitsAsync(weights, parameters, ids);
            var (diff, agree) = Compare(ours, theirs);
            // Both run the same fp16-rounded weights with different kernels and accumulation orders.
            bool pass = agree && diff < 0.005 * Math.Max(1, scale);
            ok &= pass;
            Console.WriteLine($"| {(exact ? "F32 KV cache, no flash attention" : "the benchmark's (F16 KV cache, flash attention auto)")} | {diff:0.000000} | " +
                              $"{LlamaCpp.ArgMax(ours)} / {LlamaCpp.ArgMax(theirs)}{(pass ? "" : " (FAIL)")} |");
        }
        // The quantized GGUFs serving-peer made, for information only: their weights differ from ours by design.
        foreach (var type in new[] { GgmlType.Q8_0, GgmlType.Q4_0 })
        {
            string quantized = PeerModels.GgufPath(settings, name, type);
            if (!File.Exists(quantized)) continue;
            var parameters = LlamaCpp.Parameters(quantized, settings.Threads);
            float[] theirs;
            using (var weights = LlamaCpp.Load(parameters))
                theirs = await LastLogitsAsync(weights, parameters, ids);
            var (diff, _) = Compare(ours, theirs);
            Console.WriteLine($"| {type} GGUF, the benchmark's settings (information, not checked) | {diff:0.000000} | {LlamaCpp.ArgMax(ours)} / {LlamaCpp.ArgMax(theirs)} |");
        }
        return ok;
    }

    /// <summary>
    /// llama.cpp in float32 where its defaults are not: an F32 KV cache (default F16) and no flash attention (its CPU
    /// kernel rounds Q to F16), so that only the weights' own rounding is left to compare.
    /// </summary>
    private static LLama.Common.ModelParams Exact(LLama.Common.ModelParams parameters)
    {
        parameters.TypeK = parameters.TypeV = LLama.Native.GGMLType.GGML_TYPE_F32;
        parameters.FlashAttention = false;
        return parameters;
    }

    private static async Task<float[]> LastLogitsAsync(LLamaWeights weights, LLama.Common.ModelParams parameters, int[] ids)
    {
        using var executor = new BatchedExecutor(weights, parameters);
        using var conversation = executor.Create();
        await LlamaCpp.PromptAsync(conversation, ids);
        return conversation.Sample().ToArray();
    }

    private static (double MaxAbsDiff, bool ArgmaxAgrees) Compare(float[] expected, float[] actual)
    {
        if (expected.Length != actual.Length) throw new InvalidOperationException($"Logit vectors differ in length: {expected.Length} vs {actual.Length}.");
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return (max, LlamaCpp.ArgMax(expected) == LlamaCpp.ArgMax(actual));
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    internal static void CopyTokenizer(string checkpoint)
    {
        foreach (var file in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine("tests/TestData/tokenizer/qwen2.5", file), Path.Combine(checkpoint, file), true);
        File.Copy("tests/TestData/tokenizer/qwen2.5/instruct/tokenizer_config.json", Path.Combine(checkpoint, "tokenizer_config.json"), true);
    }
}
