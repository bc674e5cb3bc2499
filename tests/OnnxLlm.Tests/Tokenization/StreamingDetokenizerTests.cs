using System.Text;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>Streaming decode: never half a character, and the pieces always add up to the full decode.</summary>
[TestClass]
public sealed class StreamingDetokenizerTests
{
    [TestMethod]
    public void EveryGolden_StreamedTokenByToken_EqualsTheFullDecode_WithoutBrokenCharacters()
    {
        var tokenizer = TokenizerFixture.Instruct;
        foreach (var (text, ids, _) in TokenizerFixture.Goldens)
        {
            var detokenizer = new StreamingDetokenizer(tokenizer, skipSpecialTokens: false);
            var output = new StringBuilder();
            foreach (int id in ids)
            {
                string piece = detokenizer.Append(id);
                Assert.IsFalse(piece.Contains('\uFFFD'), $"broken character streamed for {text}");
                Assert.IsFalse(piece.Length > 0 && char.IsHighSurrogate(piece[^1]), "a piece must not end inside a surrogate pair");
                output.Append(piece);
            }
            output.Append(detokenizer.Flush());
            Assert.AreEqual(tokenizer.Decode(ids), output.ToString());
        }
    }

    [TestMethod]
    public void CharacterSplitAcrossTokens_IsHeldBackUntilComplete()
    {
        var tokenizer = TokenizerFixture.Instruct;
        var ids = tokenizer.Encode("👨‍👩‍👧‍👦");
        // Prove the split is real: some token's bytes are not valid UTF-8 on their own.
        Assert.IsTrue(ids.Any(id => !IsCompleteUtf8(tokenizer.GetTokenBytes(id))), "expected an emoji split across byte-level tokens");
        var detokenizer = new StreamingDetokenizer(tokenizer);
        var pieces = ids.Select(detokenizer.Append).ToList();
        Assert.Contains("", pieces, "a partial character must produce an empty piece");
        Assert.AreEqual("👨‍👩‍👧‍👦", string.Concat(pieces) + detokenizer.Flush());
    }

    [TestMethod]
    public void TruncatedCharacterAtTheEnd_FlushesAsReplacement_LikeTheFullDecode()
    {
        var tokenizer = TokenizerFixture.Instruct;
        var ids = tokenizer.Encode("好👨‍👩‍👧‍👦").ToList();
        // The shortest prefix whose last character is incomplete: its full decode ends in U+FFFD.
        var partial = Enumerable.Range(1, ids.Count).Select(n => ids.Take(n).ToList())
            .First(prefix => tokenizer.Decode(prefix).EndsWith('\uFFFD'));
        var detokenizer = new StreamingDetokenizer(tokenizer);
        string streamed = string.Concat(partial.Select(detokenizer.Append)) + detokenizer.Flush();
        Assert.AreEqual(tokenizer.Decode(partial), streamed);
        StringAssert.EndsWith(streamed, "\uFFFD");
    }

    [TestMethod]
    public void SpecialTokens_AreSkippedWhenAsked()
    {
        var tokenizer = TokenizerFixture.Instruct;
        var detokenizer = new StreamingDetokenizer(tokenizer, skipSpecialTokens: true);
        Assert.AreEqual("", detokenizer.Append(151645));
        Assert.AreEqual("<tool_call>", detokenizer.Append(tokenizer.TokenToId("<tool_call>")!.Value), "added non-special tokens are text");
    }

    private static bool IsCompleteUtf8(ReadOnlySpan<byte> bytes)
    {
        try { new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); return true; }
        catch (DecoderFallbackException) { return false; }
    }
}
