using System.Text.Json;
using OnnxLlm.Testing;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>The official Qwen2.5 tokenizer files and the transformers.js goldens, loaded once.</summary>
internal static class TokenizerFixture
{
    private static readonly Lazy<QwenTokenizer> s_instruct = new(() => QwenTokenizer.FromFiles(
        TestModels.TestData("tokenizer", "qwen2.5", "vocab.json"),
        TestModels.TestData("tokenizer", "qwen2.5", "merges.txt"),
        TestModels.TestData("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json")));

    public static QwenTokenizer Instruct => s_instruct.Value;

    public static IReadOnlyList<(string Text, int[] Ids, string Decoded)> Goldens { get; } = LoadGoldens();

    private static List<(string, int[], string)> LoadGoldens()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestModels.TestData("tokenizer-golden.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                c.GetProperty("decoded").GetString()!))
            .ToList();
    }
}
