using System.Diagnostics;
using OnnxLlm.Export.Synthetic;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// The peer's model files under the bench work folder: the same synthetic checkpoint the decode and serving
/// benchmarks export (name-hf, seed 1), written as an F16 GGUF, and the Q8_0 / Q4_0 GGUFs llama.cpp quantizes from it.
/// Each is made once and reused.
/// </summary>
internal static class PeerModels
{
    public static string GgufPath(BenchmarkSettings settings, string name, GgmlType type) =>
        Path.Combine(settings.WorkDirectory, $"{name}-gguf", $"{name}-{type.ToString().ToLowerInvariant()}.gguf");

    /// <summary>The GGUF of <paramref name="type"/> for the config folder, converting or quantizing it first if needed.</summary>
    public static async Task<(string Name, string Gguf)> PrepareAsync(string configDirectory, GgmlType type, BenchmarkSettings settings)
    {
        string name = Path.GetFileName(configDirectory.TrimEnd('/'));
        await EnsureCheckpointAsync(configDirectory, name, settings);
        string f16 = EnsureF16(settings, name);
        if (type == GgmlType.F16) return (name, f16);
        string path = GgufPath(settings, name, type);
        if (!File.Exists(path))
        {
            var sw = Stopwatch.StartNew();
            LlamaCpp.Quantize(f16, path, type, Math.Max(1, settings.Threads));
            Console.Error.WriteLine($"   llama.cpp quantized {Path.GetFileName(path)} in {sw.Elapsed.TotalSeconds:0.0} s");
        }
        return (name, path);
    }

    /// <summary>The F16 GGUF of the checkpoint folder name-hf (which must exist).</summary>
    public static string EnsureF16(BenchmarkSettings settings, string name)
    {
        string path = GgufPath(settings, name, GgmlType.F16);
        if (!File.Exists(path))
        {
            var sw = Stopwatch.StartNew();
            Qwen2GgufConverter.Convert(Path.Combine(settings.WorkDirectory, name + "-hf"), path, GgmlType.F16);
            Console.Error.WriteLine($"   wrote {Path.GetFileName(path)} in {sw.Elapsed.TotalSeconds:0.0} s");
        }
        return path;
    }

    /// <summary>
    /// The synthetic checkpoint exactly as <see cref="DecodeBenchmark.PrepareAsync"/> writes it (same folder, seed
    /// and tokenizer files), without exporting an ONNX model the peer does not need.
    /// </summary>
    private static async Task EnsureCheckpointAsync(string configDirectory, string name, BenchmarkSettings settings)
    {
        string checkpoint = Path.Combine(settings.WorkDirectory, name + "-hf");
        if (File.Exists(Path.Combine(checkpoint, "config.json"))) return;
        Console.Error.WriteLine($"   writing synthetic checkpoint to {checkpoint}");
        await SyntheticCheckpointWriter.WriteAsync(Path.Combine(configDirectory, "config.json"), 1, checkpoint, new SyntheticCheckpointOptions { Overwrite = true });
        PeerLogitsCheck.CopyTokenizer(checkpoint);
    }
}
