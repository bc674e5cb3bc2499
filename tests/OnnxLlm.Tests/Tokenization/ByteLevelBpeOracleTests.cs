using System.Text;
using System.Text.Json;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>
/// Our byte-level BPE (<see cref="ByteLevelBpe"/> inside <see cref="QwenTokenizer"/>) against Microsoft.ML.Tokenizers'
/// <see cref="Microsoft.ML.Tokenizers.BpeTokenizer"/> configured as the SDK used to configure it: the same ids for a
/// large, varied corpus with the real Qwen2.5 vocabulary, and for random small vocabularies whose merge ranks are in
/// arbitrary order (which exercises the merge order far harder than a real vocabulary does).
/// </summary>
[TestClass]
public sealed class ByteLevelBpeOracleTests
{
    private static readonly Lazy<MlTokenizersReference> s_reference = new(() => MlTokenizersReference.FromFiles(
        TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, TokenizerTestData.InstructConfigPath));

    [TestMethod]
    public void VariedCorpus_EncodesLikeMicrosoftMlTokenizers()
    {
        QwenTokenizer tokenizer = TokenizerTestData.Instruct;
        MlTokenizersReference reference = s_reference.Value;
        List<string> corpus = Corpus();
        Assert.IsGreaterThan(1000, corpus.Count);

        // Twice: the first pass fills the piece cache, the second reads from it.
        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < corpus.Count; i++)
            {
                string text = corpus[i];
                List<int> expected = reference.Encode(text);
                IReadOnlyList<int> actual = tokenizer.Encode(text);
                if (!actual.SequenceEqual(expected))
                {
                    Assert.Fail($"pass {pass}, text {i} ({Escape(text)}): expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
                }

                Assert.AreEqual(expected.Count, tokenizer.CountTokens(text), $"CountTokens of text {i}");
            }
        }
    }

    [TestMethod]
    public void RandomVocabulariesWithShuffledRanks_EncodeLikeMicrosoftMlTokenizers()
    {
        var random = new Random(20_240_611);
        for (int trial = 0; trial < 200; trial++)
        {
            (Dictionary<string, int> vocab, List<string> merges) = RandomVocabulary(random);
            var ours = new ByteLevelBpe(vocab, merges, "merges.txt");
            var reference = new MlTokenizersReference(vocab, merges, [], normalizeNfc: false);
            for (int n = 0; n < 50; n++)
            {
                // Letters only (with the odd space and unknown byte), so that each text is one or a few long pieces.
                var text = new StringBuilder();
                int length = random.Next(1, 40);
                for (int i = 0; i < length; i++)
                {
                    text.Append("abcd abcdabcdx"[random.Next(14)]);
                }

                string s = text.ToString();
                List<int> expected = reference.Encode(s);
                var actual = new List<int>();
                foreach (ReadOnlySpan<char> piece in QwenPreTokenizer.EnumeratePieces(s))
                {
                    ours.Encode(piece, actual);
                }

                CollectionAssert.AreEqual(expected, actual, $"trial {trial}, text '{s}', merges [{string.Join(" | ", merges)}]");
            }
        }
    }

    /// <summary>
    /// Single characters a-d and Ġ (space), then merged tokens of random existing pairs, each merge given a random rank
    /// (so a merge may rank before the merges that create its parts). The byte 'x' has no token and is dropped.
    /// </summary>
    private static (Dictionary<string, int> Vocab, List<string> Merges) RandomVocabulary(Random random)
    {
        var tokens = new List<string> { "a", "b", "c", "d", "Ġ" };
        var pairs = new HashSet<(string, string)>();
        var merges = new List<string>();
        int target = random.Next(5, 40);
        for (int attempt = 0; attempt < 400 && merges.Count < target; attempt++)
        {
            string left = tokens[random.Next(tokens.Count)], right = tokens[random.Next(tokens.Count)];
            if (left.Length + right.Length > 8 || !pairs.Add((left, right)))
            {
                continue;
            }

            merges.Add(left + " " + right);
            if (!tokens.Contains(left + right))
            {
                tokens.Add(left + right);
            }
        }

        var shuffled = merges.OrderBy(_ => random.Next()).ToList();
        var vocab = tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
        return (vocab, shuffled);
    }

    private static List<string> Corpus()
    {
        var corpus = new List<string>();
        corpus.AddRange(TokenizerTestData.Golden.Select(c => c.Text));
        foreach (string file in new[] { "chat-template-golden.json", "qwen3-chat-template-golden.json" })
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", file)));
            CollectStrings(document.RootElement, corpus);
        }

        // The chat templates themselves: Jinja, i.e. code with long indentation runs.
        using (JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.InstructConfigPath)))
        {
            corpus.Add(config.RootElement.GetProperty("chat_template").GetString()!);
        }

        corpus.AddRange(
        [
            """
            public static int Fib(int n) => n < 2 ? n : Fib(n - 1) + Fib(n - 2);
            // TODO: memoise; see https://example.com/a?b=1&c=%20
            if (x != null && x.Count >= 0x7FFF) { throw new InvalidOperationException($"bad {x}"); }
            """,
            "def f(x):\n\treturn [i**2 for i in range(x) if i % 3 == 0]  # squares\n\n\nclass A(B):\n    pass\n",
            "SELECT id, name FROM users WHERE email LIKE '%@example.com' ORDER BY created_at DESC LIMIT 10;",
            "{\"key\": [1, 2.5e-3, true, null], \"nested\": {\"ünïcödé\": \"值\"}}",
            "机器学习是人工智能的一个分支。它使计算机能够从数据中学习，而无需明确编程。深度学习使用多层神经网络。",
            "日本語のテキストとカタカナ、ひらがな、漢字が混ざっています。한국어 문장도 있습니다.",
            "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇯🇵 ❤️‍🔥 and math 𝐀𝐁𝐂 𝟏𝟐𝟑 and CJK ext B 𠀀𠀁.",
            "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３ and combining: e\u0301 a\u0308 n\u0303 (NFC composes these)",
            "Tabs\t\tand\u00A0nbsp\u3000ideographic space\u2003em space\r\nCRLF\rCR\n\nLF",
            "Lone surrogates: \uD800 x \uDFFF y \uDBFF\uDBFF z",
            "Contractions: I'm, you're, he'll, she'd, it's, we've, DON'T, ſ's 'S",
            "Numbers: 3.14159, 1,000,000, 2024-06-11, 0xDEADBEEF, ٣٤٥, ²³, ⅫⅣ",
            new string(' ', 1000) + "x" + new string(' ', 17),
            "\n" + new string(' ', 4096) + "\n\n\n" + new string('\t', 300),
            new string('a', 5000),
            string.Concat(Enumerable.Repeat("ab", 3000)),
            string.Concat(Enumerable.Repeat("中文", 1500)),
            string.Concat(Enumerable.Repeat("😀", 700)),
            string.Concat(Enumerable.Repeat("=-", 2000)),
            string.Concat(Enumerable.Repeat("0123456789", 200)),
        ]);

        // Random Unicode from a seeded generator: runs from several scripts, symbols, digits and whitespace.
        var random = new Random(7);
        (int From, int To)[] ranges =
        [
            (0x20, 0x7E), (0x20, 0x7E), (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
            (0x900, 0x97F), (0xE00, 0xE7F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x2000, 0x206F),
            (0x2190, 0x23FF), (0xFF00, 0xFFEF), (0x1F300, 0x1F6FF), (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0x300, 0x36F),
        ];
        char[] whitespace = [' ', ' ', ' ', '\n', '\t', '\r', '\u00A0', '\u3000'];
        for (int n = 0; n < 1500; n++)
        {
            var text = new StringBuilder();
            int runs = random.Next(1, 12);
            for (int r = 0; r < runs; r++)
            {
                (int from, int to) = ranges[random.Next(ranges.Length)];
                int runLength = random.Next(1, 12);
                for (int i = 0; i < runLength; i++)
                {
                    int codePoint = random.Next(from, to + 1);
                    if (codePoint is >= 0xD800 and <= 0xDFFF)
                    {
                        continue;
                    }

                    text.Append(char.ConvertFromUtf32(codePoint));
                }

                if (random.Next(3) == 0)
                {
                    text.Append(whitespace[random.Next(whitespace.Length)], random.Next(1, 4));
                }
            }

            corpus.Add(text.ToString());
        }

        return corpus;
    }

    private static void CollectStrings(JsonElement element, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                string value = element.GetString()!;
                if (value.Length > 0)
                {
                    strings.Add(value);
                }

                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    CollectStrings(item, strings);
                }

                break;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    CollectStrings(property.Value, strings);
                }

                break;
        }
    }

    private static string Escape(string text)
    {
        string shown = text.Length > 80 ? text[..80] + "…" : text;
        return string.Concat(shown.Select(c => c < 128 && !char.IsControl(c) ? c.ToString() : $"\\u{(int)c:X4}"));
    }
}
