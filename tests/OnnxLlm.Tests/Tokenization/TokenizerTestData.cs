using System.Text.Json;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>One case of tests/TestData/tokenizer-golden.json (produced by transformers.js with Qwen3's tokenizer.json).</summary>
public sealed record GoldenCase(int Index, string Text, int[] Ids, string Decoded)
{
    /// <summary>A short, readable name for test output, e.g. "03: &lt;|im_start|&gt;user\n你好…".</summary>
    public string DisplayName
    {
        get
        {
            string escaped = Text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\t", "\\t");
            return $"{Index:00}: {(escaped.Length > 40 ? escaped[..40] + "…" : escaped)}";
        }
    }
}

/// <summary>Shared, read-only fixtures for the tokenizer tests.</summary>
internal static class TokenizerTestData
{
    public static string TokenizerDirectory => Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizer", "qwen2.5");

    public static string VocabPath => Path.Combine(TokenizerDirectory, "vocab.json");

    public static string MergesPath => Path.Combine(TokenizerDirectory, "merges.txt");

    public static string InstructConfigPath => Path.Combine(TokenizerDirectory, "instruct", "tokenizer_config.json");

    public static string BaseConfigPath => Path.Combine(TokenizerDirectory, "base", "tokenizer_config.json");

    private static readonly Lazy<QwenTokenizer> s_instruct = new(() => QwenTokenizer.FromFiles(VocabPath, MergesPath, InstructConfigPath));

    private static readonly Lazy<IReadOnlyList<GoldenCase>> s_golden = new(LoadGolden);

    /// <summary>Qwen2.5-Instruct's tokenizer, loaded once (it is immutable and thread-safe).</summary>
    public static QwenTokenizer Instruct => s_instruct.Value;

    public static IReadOnlyList<GoldenCase> Golden => s_golden.Value;

    /// <summary>The golden cases as data rows named after their text.</summary>
    public static IEnumerable<TestDataRow<GoldenCase>> GoldenRows =>
        Golden.Select(c => new TestDataRow<GoldenCase>(c) { DisplayName = c.DisplayName });

    private static IReadOnlyList<GoldenCase> LoadGolden()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizer-golden.json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        return document.RootElement.GetProperty("cases").EnumerateArray()
            .Select((c, i) => new GoldenCase(
                i,
                c.GetProperty("text").GetString()!,
                c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("decoded").GetString()!))
            .ToList();
    }

    /// <summary>A fresh empty directory under the test output, removed by the caller.</summary>
    public static string CreateTempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "onnxllm-tokenizer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
