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
            // An F32 KV cache (llama.cpp's default is F16) so that the F32 GGUF's comparison is tight.
            var parameters = LlamaCpp.Parameters(gguf, settings.Threads);
            parameters.TypeK = parameters.TypeV = LLama.Native.GGMLType.GGML_TYPE_F32;
            using var weights = LlamaCpp.Load(parameters);
            foreach (var c in root.GetProperty("cases").EnumerateArray())
            {
                int[] ids = c.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var expected = ReadFloats(Path.Combine("tests/TestData/qwen2-tiny", c.GetProperty("last_position_logits").GetProperty("file").GetString()!));
                var actual = await LastLogitsAsync(weights, parameters, ids);
                var (diff, agree) = Compare(expected, actual);
                // Bounds from what llama.cpp's CPU kernels reach (F32: ~0.01 on logits of magnitude ~10), well below the
                // goldens' sensitivity to real conversion faults (qkv bias dropped, rope theta or GQA layout wrong: >= 2.4).
                bool pass = agree && diff < (type == GgmlType.F32 ? 0.02 : 0.05);
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
        float[] theirs;
        var parameters = LlamaCpp.Parameters(gguf, settings.Threads);
        using (var weights = LlamaCpp.Load(parameters))
            theirs = await LastLogitsAsync(weights, parameters, ids);
        var (diff, agree) = Compare(ours, theirs);
        double scale = ours.Max(Math.Abs);
        // Both run the same fp16-rounded weights (or bf16 ones for fp32) with different kernels and accumulation.
        bool pass = agree && diff < 0.05 * Math.Max(1, scale);
        Console.WriteLine($"\n### {LlamaCpp.Label} F16 GGUF against OnnxLlm {variant.Name}: {name}, {PromptLength} random tokens (seed {PromptSeed})\n");
        Console.WriteLine("| max abs diff | max abs logit | argmax (ours / llama.cpp) |\n|---:|---:|---|");
        Console.WriteLine($"| {diff:0.000000} | {scale:0.000} | {LlamaCpp.ArgMax(ours)} / {LlamaCpp.ArgMax(theirs)}{(pass ? "" : " (FAIL)")} |");
        return pass;
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
