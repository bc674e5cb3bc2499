using System.Text.RegularExpressions;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>
/// The hand-written pre-tokenizer against the regular expression it implements. On BMP text .NET's regex engine
/// and Hugging Face's agree, so <see cref="Regex"/> serves as the oracle there; supplementary-plane text is where the
/// hand-written version deliberately differs from .NET (it follows Hugging Face).
/// </summary>
[TestClass]
public sealed class QwenPreTokenizerTests
{
    private static readonly Regex s_oracle = new(QwenPreTokenizer.Pattern, RegexOptions.CultureInvariant);

    private const string Alphabet =
        "aZéßЖ中文ひカ한ٴ" + "09٣²Ⅻ" + " \t\n\r\u000B\u000C\u0085\u00A0\u2003\u3000" + ".,!?'\"-_#(){}<>|/\\—「」。，" + "\u0301\u200B\u200D\uFEFF" + "sStTrReEvVmMlLdD";

    [TestMethod]
    public void GoldenTexts_SplitLikeTheRegex()
    {
        foreach (GoldenCase golden in TokenizerTestData.Golden.Where(c => !HasSurrogates(c.Text)))
        {
            CollectionAssert.AreEqual(OracleSplits(golden.Text), Splits(golden.Text), golden.DisplayName);
        }
    }

    [TestMethod]
    public void RandomBmpTexts_SplitLikeTheRegex()
    {
        var random = new Random(42);
        for (int n = 0; n < 3000; n++)
        {
            char[] chars = new char[random.Next(1, 24)];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[random.Next(Alphabet.Length)];
            }

            string text = new(chars);
            CollectionAssert.AreEqual(OracleSplits(text), Splits(text), Escape(text));
        }
    }

    [TestMethod]
    [DataRow("a\U00020000b", new[] { "a\U00020000b" }, DisplayName = "CJK Extension B letter joins a word")]
    [DataRow(" \U0001D400x", new[] { " \U0001D400x" }, DisplayName = "mathematical letter after a space")]
    [DataRow("\U0001D7CF\U0001D7D0", new[] { "\U0001D7CF", "\U0001D7D0" }, DisplayName = "mathematical digits split one by one")]
    [DataRow("\U0001F600abc", new[] { "\U0001F600abc" }, DisplayName = "emoji prefixes a word")]
    [DataRow("!\U0001F600\U0001F44D\n", new[] { "!\U0001F600\U0001F44D\n" }, DisplayName = "emoji in a symbol run")]
    public void SupplementaryCharacters_AreClassifiedByCodePoint(string text, string[] expected)
    {
        CollectionAssert.AreEqual(expected, Splits(text));
    }

    [TestMethod]
    [DataRow("don't", new[] { "don", "'t" })]
    [DataRow("WE'LL", new[] { "WE", "'LL" })]
    [DataRow("x  \n\n  y", new[] { "x", "  \n\n", " ", " y" })]
    [DataRow("a   ", new[] { "a", "   " })]
    [DataRow("a   b", new[] { "a", "  ", " b" })]
    [DataRow("?!\r\n\r\nx", new[] { "?!\r\n\r\n", "x" })]
    [DataRow("12.5%", new[] { "1", "2", ".", "5", "%" })]
    public void KnownSplits(string text, string[] expected)
    {
        CollectionAssert.AreEqual(expected, Splits(text));
    }

    private static string[] Splits(string text)
    {
        var pieces = new List<string>();
        foreach (ReadOnlySpan<char> piece in QwenPreTokenizer.EnumeratePieces(text))
        {
            pieces.Add(piece.ToString());
        }

        // The allocation-free enumerator and the (offset, length) list must describe the same pieces.
        var splits = new List<(int Offset, int Length)>();
        QwenPreTokenizer.Split(text, splits);
        CollectionAssert.AreEqual(pieces, splits.Select(s => text.Substring(s.Offset, s.Length)).ToList());
        return pieces.ToArray();
    }

    private static string[] OracleSplits(string text) => s_oracle.Matches(text).Select(m => m.Value).ToArray();

    private static bool HasSurrogates(string text) => text.Any(char.IsSurrogate);

    private static string Escape(string text) => string.Concat(text.Select(c => c < 128 && !char.IsControl(c) ? c.ToString() : $"\\u{(int)c:X4}"));
}
