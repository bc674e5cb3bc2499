using System.Diagnostics;
using System.Text.Json;
using OnnxLlm.Constraints;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Per-token cost of constrained decoding (mask the logits + advance the parse) over Qwen's full 151,936-wide
/// logits, for a few schemas. Each schema's canned output is tokenized and replayed through a constraint, timing
/// Apply + Accept per token: "cold" with a fresh matcher (every state's mask computed), "warm" with the matcher
/// of the previous run (masks cached, as across requests with the same schema). Usage: --mode masking [--repetitions N].
/// </summary>
internal static class MaskingBenchmark
{
    private const int LogitsWidth = 151_936;
    private const double DecodeStepMs = 50; // a 0.5B decode step on this machine (~20 tok/s)

    private static readonly (string Name, string Schema, string Output)[] Cases =
    [
        ("object (name/age/tags)",
            """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age","tags"]}""",
            """{"name": "Ada Lovelace, Countess of Lovelace", "age": 36, "tags": ["mathematician", "writer", "analytical engine"]}"""),
        ("array of integers",
            """{"type":"array","items":{"type":"integer"}}""",
            "[1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987]"),
        ("enum + nested + number",
            """{"type":"object","properties":{"unit":{"enum":["celsius","fahrenheit"]},"reading":{"type":"object","properties":{"value":{"type":"number"},"at":{"type":"string"}},"required":["value","at"]}},"required":["unit","reading"]}""",
            """{"unit": "celsius", "reading": {"value": -12.75, "at": "2025-01-31T12:00:00Z"}}"""),
        ("long free string",
            """{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]}""",
            """{"answer": "The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。 Escapes: \"quoted\", back\\slash, tab\t, unicode \u00e9 — and a long tail of ordinary prose to keep the parser inside the string body for many tokens in a row."}"""),
    ];

    public static void Run(BenchmarkSettings settings)
    {
        string dir = Path.Combine("tests", "TestData", "tokenizer", "qwen2.5");
        var tokenizer = QwenTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"), Path.Combine(dir, "instruct", "tokenizer_config.json"));
        var stopwatch = Stopwatch.StartNew();
        var warmup = new GrammarTokenMatcher(Grammar.AnyJsonObject(), tokenizer); // builds the vocabulary trie once
        Console.WriteLine($"Vocabulary preparation (trie + string tables, once per tokenizer): {stopwatch.Elapsed.TotalMilliseconds:F0} ms");
        warmup.CreateConstraint().Apply(new float[LogitsWidth]);

        Console.WriteLine();
        Console.WriteLine($"| schema | tokens | cold median µs/token | cold p90 | warm median µs/token | warm p90 | warm median vs {DecodeStepMs:F0} ms decode step |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var logits = new float[LogitsWidth];
        foreach (var (name, schema, output) in Cases)
        {
            var tokens = tokenizer.Encode(output);
            var grammar = Grammar.FromJsonSchema(JsonDocument.Parse(schema).RootElement);
            var cold = new List<double>();
            var warm = new List<double>();
            for (int r = 0; r < Math.Max(1, settings.Repetitions); r++)
            {
                var matcher = new GrammarTokenMatcher(grammar, tokenizer);
                cold.AddRange(Replay(matcher, tokens, logits));
                warm.AddRange(Replay(matcher, tokens, logits));
            }
            Console.WriteLine($"| {name} | {tokens.Count} | {Median(cold):F1} | {Percentile(cold, 0.9):F1} | {Median(warm):F1} | {Percentile(warm, 0.9):F1} | {Median(warm) / (DecodeStepMs * 1000) * 100:F3}% |");
        }
    }

    private static List<double> Replay(GrammarTokenMatcher matcher, IReadOnlyList<int> tokens, float[] logits)
    {
        var constraint = matcher.CreateConstraint();
        var times = new List<double>(tokens.Count);
        foreach (int token in tokens)
        {
            Array.Fill(logits, 1f);
            long start = Stopwatch.GetTimestamp();
            constraint.Apply(logits);
            constraint.Accept(token);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            if (float.IsNegativeInfinity(logits[token])) throw new InvalidOperationException($"Token {token} of the canned output was masked.");
        }
        if (!constraint.IsComplete) throw new InvalidOperationException("The canned output did not complete the grammar.");
        return times;
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
    }
}
