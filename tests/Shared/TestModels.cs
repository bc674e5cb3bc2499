using System.Collections.Concurrent;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Synthetic;

namespace OnnxLlm.Testing;

/// <summary>
/// Synthetic checkpoints and their exports, generated on demand from config + seed (never stored in the
/// repository) and shared by every test of the run. Each is built once; concurrent requests wait for it.
/// </summary>
internal static class TestModels
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> s_built = new();

    /// <summary>A fresh folder for this test run (deleted by <see cref="TestModelsCleanup"/>).</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "onnxllm-tests", Guid.NewGuid().ToString("N")[..12]);

    public static string TestData(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>The qwen2-tiny fixture config (golden seed 22).</summary>
    public static string TinyConfig => TestData("qwen2-tiny", "config.json");

    /// <summary>qwen2-tiny with an lm_head of its own (<c>tie_word_embeddings</c> false), written once under <see cref="Root"/>.</summary>
    public static string UntiedTinyConfig => s_untiedTinyConfig.Value;

    private static readonly Lazy<string> s_untiedTinyConfig = new(() =>
    {
        string config = Path.Combine(Root, "qwen2-tiny-untied.json");
        Directory.CreateDirectory(Root);
        File.WriteAllText(config, File.ReadAllText(TinyConfig).Replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false", StringComparison.Ordinal));
        return config;
    });

    /// <summary>
    /// A synthetic HF checkpoint folder for <paramref name="configPath"/> and <paramref name="seed"/>, with the
    /// Qwen2.5 tokenizer files (instruct or base template) when <paramref name="tokenizer"/> is set.
    /// </summary>
    public static Task<string> CheckpointAsync(string configPath, ulong seed, string? tokenizer = "instruct", long? maxShardBytes = null)
    {
        string key = $"ckpt|{configPath}|{seed}|{tokenizer}|{maxShardBytes}";
        return Build(key, async dir =>
        {
            await SyntheticCheckpointWriter.WriteAsync(configPath, seed, dir,
                new SyntheticCheckpointOptions { MaxShardBytes = maxShardBytes, Overwrite = true });
            if (tokenizer is not null)
            {
                // Qwen3 shares Qwen2.5's vocab and merges; only its tokenizer_config.json (4 more added tokens, the thinking template) differs.
                File.Copy(TestData("tokenizer", "qwen2.5", "vocab.json"), Path.Combine(dir, "vocab.json"), true);
                File.Copy(TestData("tokenizer", "qwen2.5", "merges.txt"), Path.Combine(dir, "merges.txt"), true);
                string tokenizerConfig = tokenizer == Qwen3Tokenizer
                    ? TestData("tokenizer", "qwen3", "tokenizer_config.json")
                    : TestData("tokenizer", "qwen2.5", tokenizer, "tokenizer_config.json");
                File.Copy(tokenizerConfig, Path.Combine(dir, "tokenizer_config.json"), true);
            }
        });
    }

    /// <summary>The <c>tokenizer</c> argument that gives a checkpoint Qwen3's tokenizer_config.json (tests/TestData/tokenizer/qwen3).</summary>
    public const string Qwen3Tokenizer = "qwen3";

    /// <summary>The qwen3-tiny fixture config (golden seed 21).</summary>
    public static string Qwen3TinyConfig => TestData("qwen3-tiny", "config.json");

    /// <summary>The golden qwen3-tiny model exported for the cpu target at <paramref name="precision"/>.</summary>
    public static Task<string> Qwen3TinyAsync(ExportPrecision precision, QuantizationOptions? quantization = null) =>
        ExportAsync(Qwen3TinyConfig, Golden.Qwen3.Seed, precision, Qwen3Tokenizer, maxLength: 4096, quantization: quantization);

    /// <summary>The golden qwen3-tiny model exported for the coreml target, shaped as <see cref="TinyCoreMLAsync"/>.</summary>
    public static Task<string> Qwen3TinyCoreMLAsync(ExportPrecision precision) =>
        ExportAsync(Qwen3TinyConfig, Golden.Qwen3.Seed, precision, Qwen3Tokenizer, maxLength: 256, target: ExportTarget.CoreML, prefillChunk: TinyCoreMLChunk);

    /// <summary>An exported model folder of the checkpoint above (<paramref name="quantization"/> applies to int4 / int8).</summary>
    public static Task<string> ExportAsync(string configPath, ulong seed, ExportPrecision precision, string? tokenizer = "instruct",
        long? maxShardBytes = null, int? maxLength = null, QuantizationOptions? quantization = null,
        ExportTarget target = ExportTarget.Cpu, int prefillChunk = ExportOptions.DefaultPrefillChunk, bool packProjections = true)
    {
        quantization ??= new QuantizationOptions();
        string key = $"onnx|{configPath}|{seed}|{tokenizer}|{maxShardBytes}|{precision}|{maxLength}|{quantization}|{target}|{prefillChunk}|{packProjections}";
        return Build(key, async dir =>
        {
            string checkpoint = await CheckpointAsync(configPath, seed, tokenizer, maxShardBytes);
            await Qwen2Exporter.ExportAsync(new ExportOptions
            {
                InputDirectory = checkpoint,
                OutputDirectory = dir,
                Precision = precision,
                Overwrite = true,
                MaxLength = maxLength,
                Quantization = quantization,
                Target = target,
                PrefillChunk = prefillChunk,
                PackProjections = packProjections,
            });
        });
    }

    /// <summary>The golden tiny model exported at <paramref name="precision"/> (4096-token context keeps KV buffers small).</summary>
    public static Task<string> TinyAsync(ExportPrecision precision, string? tokenizer = "instruct") =>
        ExportAsync(TinyConfig, Golden.Instance.Seed, precision, tokenizer, maxLength: 4096);

    /// <summary>Prefill chunk of <see cref="TinyCoreMLAsync"/>: small, so test prompts span several chunks.</summary>
    public const int TinyCoreMLChunk = 8;

    /// <summary>
    /// The golden tiny model exported for the coreml target (static-kv-v1): 256-token KV buffer and an
    /// 8-token prefill chunk, so golden prompts exercise several chunks and a padded last one.
    /// </summary>
    public static Task<string> TinyCoreMLAsync(ExportPrecision precision, string? tokenizer = "instruct") =>
        ExportAsync(TinyConfig, Golden.Instance.Seed, precision, tokenizer, maxLength: 256, target: ExportTarget.CoreML, prefillChunk: TinyCoreMLChunk);

    /// <summary>A private copy of a (shared, read-only) model folder, for tests that corrupt or edit files.</summary>
    public static string CopyFolder(string source, string label)
    {
        string copy = Path.Combine(Root, $"{label}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return copy;
    }

    private static Task<string> Build(string key, Func<string, Task> create) =>
        s_built.GetOrAdd(key, k => new Lazy<Task<string>>(async () =>
        {
            string dir = Path.Combine(Root, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(k)))[..16]);
            await create(dir);
            return dir;
        })).Value;
}

/// <summary>Deletes the run's synthetic models.</summary>
[TestClass]
public static class TestModelsCleanup
{
    [AssemblyCleanup]
    public static void DeleteModels()
    {
        try { if (Directory.Exists(TestModels.Root)) Directory.Delete(TestModels.Root, recursive: true); }
        catch (IOException) { }
    }
}
