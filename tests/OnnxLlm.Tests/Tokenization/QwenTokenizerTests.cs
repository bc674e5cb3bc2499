using System.Text;
using System.Text.Json;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>Added tokens, vocabulary lookups and metadata.</summary>
[TestClass]
public sealed class QwenTokenizerTests
{
    private static QwenTokenizer Tokenizer => TokenizerTestData.Instruct;

    [TestMethod]
    public void ChatMarkup_EncodesEachSpecialTokenAsItsSingleId()
    {
        int[] ids = Tokenizer.Encode("<|im_start|>user\nhi<|im_end|>\n<|endoftext|>").ToArray();

        Assert.AreEqual(151644, ids[0]);
        Assert.AreEqual(151645, ids[^3]);
        Assert.AreEqual(151643, ids[^1]);
        Assert.AreEqual(3, ids.Count(id => id >= 151643));
        Assert.AreEqual("user\nhi", Tokenizer.Decode(ids[1..^3]));
    }

    [TestMethod]
    [DataRow("<|im_start|", DisplayName = "missing '>'")]
    [DataRow("<|im_startx|>", DisplayName = "extra character")]
    [DataRow("< |im_end|>", DisplayName = "inner space")]
    [DataRow("<|IM_END|>", DisplayName = "other case")]
    [DataRow("<|im_end|", DisplayName = "prefix")]
    [DataRow("<tool_call", DisplayName = "tool call prefix")]
    public void TextResemblingAnAddedToken_IsEncodedByBpe(string text)
    {
        int[] ids = Tokenizer.Encode(text).ToArray();

        Assert.IsTrue(ids.All(id => id < 151643), $"got an added token: [{string.Join(", ", ids)}]");
        Assert.IsGreaterThan(1, ids.Length);
        Assert.AreEqual(text, Tokenizer.Decode(ids));
    }

    [TestMethod]
    public void AddedTokenInsideWords_IsStillCutOut()
    {
        int[] ids = Tokenizer.Encode("abc<|im_end|>def").ToArray();

        CollectionAssert.AreEqual(
            Tokenizer.Encode("abc").Concat([151645]).Concat(Tokenizer.Encode("def")).ToArray(),
            ids);
    }

    [TestMethod]
    public void AddedTokenMatcher_PrefersTheLeftmostThenTheLongestToken()
    {
        var matcher = new AddedTokenMatcher([new(1, "<a>", false), new(2, "<a>b", false), new(3, "b<", false)]);

        Assert.AreEqual(1, matcher.FindNext("xb<a>b", out AddedToken token));
        Assert.AreEqual(3, token.Id); // "b<" starts before "<a>b"
        Assert.AreEqual(0, matcher.FindNext("<a>bc", out token));
        Assert.AreEqual(2, token.Id);
        Assert.AreEqual(-1, matcher.FindNext("<b>", out _));
    }

    [TestMethod]
    public void Metadata_ComesFromTokenizerConfig()
    {
        using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.InstructConfigPath));
        QwenTokenizer baseTokenizer = QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, TokenizerTestData.BaseConfigPath);

        Assert.AreEqual("<|im_end|>", Tokenizer.EosToken);
        Assert.AreEqual(151645, Tokenizer.EosTokenId);
        Assert.AreEqual("<|endoftext|>", Tokenizer.PadToken);
        Assert.AreEqual(151643, Tokenizer.PadTokenId);
        Assert.AreEqual(config.RootElement.GetProperty("chat_template").GetString(), Tokenizer.ChatTemplate);
        Assert.AreEqual("<|endoftext|>", baseTokenizer.EosToken);
        Assert.AreEqual(151665, Tokenizer.VocabularySize);
        Assert.HasCount(22, Tokenizer.AddedTokens);
        foreach (JsonProperty entry in config.RootElement.GetProperty("added_tokens_decoder").EnumerateObject())
        {
            int id = int.Parse(entry.Name);
            Assert.AreEqual(id, Tokenizer.AddedTokens[entry.Value.GetProperty("content").GetString()!]);
            Assert.AreEqual(entry.Value.GetProperty("special").GetBoolean(), Tokenizer.IsSpecial(id), entry.Name);
        }
    }

    [TestMethod]
    public void WithoutConfig_NoAddedTokenIsRecognised()
    {
        QwenTokenizer bare = QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, null);

        Assert.HasCount(0, bare.AddedTokens);
        Assert.AreEqual(151643, bare.VocabularySize);
        Assert.IsNull(bare.ChatTemplate);
        Assert.IsTrue(bare.Encode("<|im_end|>").All(id => id < 151643));
    }

    [TestMethod]
    public void TokenAndIdLookups_UseTheVocabularySpelling()
    {
        Assert.AreEqual(1879, Tokenizer.TokenToId("Ġworld"));
        Assert.AreEqual("Ġworld", Tokenizer.IdToToken(1879));
        Assert.AreEqual(151644, Tokenizer.TokenToId("<|im_start|>"));
        Assert.AreEqual("<|im_start|>", Tokenizer.IdToToken(151644));
        Assert.IsNull(Tokenizer.TokenToId(" world"));
        Assert.IsNull(Tokenizer.IdToToken(151665));
        Assert.IsNull(Tokenizer.IdToToken(-1));
        Assert.IsFalse(Tokenizer.IsSpecial(1879));
        Assert.IsFalse(Tokenizer.IsSpecial(-5));
    }

    [TestMethod]
    public void GetTokenBytes_MapsByteLevelCharactersBackToBytes()
    {
        CollectionAssert.AreEqual(" world"u8.ToArray(), Tokenizer.GetTokenBytes(1879).ToArray());
        CollectionAssert.AreEqual("\n"u8.ToArray(), Tokenizer.GetTokenBytes(Tokenizer.TokenToId("Ċ")!.Value).ToArray());
        CollectionAssert.AreEqual("<|im_start|>"u8.ToArray(), Tokenizer.GetTokenBytes(151644).ToArray());
        CollectionAssert.AreEqual("你好"u8.ToArray(), Tokenizer.GetTokenBytes(108386).ToArray());
        Assert.IsTrue(Tokenizer.GetTokenBytes(151665).IsEmpty);
        Assert.IsTrue(Tokenizer.GetTokenBytes(-1).IsEmpty);

        // 256 single-byte tokens spell every byte value exactly once.
        var singleBytes = Enumerable.Range(0, 151643)
            .Where(id => Tokenizer.GetTokenBytes(id).Length == 1)
            .Select(id => Tokenizer.GetTokenBytes(id)[0])
            .ToHashSet();
        Assert.HasCount(256, singleBytes);
    }

    [TestMethod]
    public void Decode_SkipsSpecialTokensOnRequest_AndIgnoresUnknownIds()
    {
        int[] ids = Tokenizer.Encode("<|im_start|>assistant\n<tool_call><|im_end|>").ToArray();

        Assert.AreEqual("assistant\n<tool_call>", Tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.AreEqual("<|im_start|>assistant\n<tool_call><|im_end|>", Tokenizer.Decode(ids));
        Assert.AreEqual("hi", Tokenizer.Decode([Tokenizer.TokenToId("hi")!.Value, 151700, -3]));
    }

    [TestMethod]
    public void Decode_ReplacesInvalidUtf8LikeHuggingFace()
    {
        int[] ids = Tokenizer.Encode("龘").ToArray();

        // A truncated 3-byte character is one maximal invalid subsequence, so one U+FFFD.
        Assert.AreEqual("\uFFFD", Tokenizer.Decode(ids[..^1]));
        Assert.AreEqual("龘", Tokenizer.Decode(ids));
    }

    [TestMethod]
    public void Encode_NormalisesToNfcBetweenAddedTokens()
    {
        string decomposed = "e\u0301"; // é as e + combining acute
        Assert.AreNotEqual(decomposed, decomposed.Normalize(NormalizationForm.FormC));

        CollectionAssert.AreEqual(Tokenizer.Encode("caf\u00E9").ToArray(), Tokenizer.Encode("caf" + decomposed).ToArray());
        CollectionAssert.AreEqual(
            Tokenizer.Encode("<|im_start|>caf\u00E9").ToArray(),
            Tokenizer.Encode("<|im_start|>caf" + decomposed).ToArray());
    }

    [TestMethod]
    public void Encode_LoneSurrogates_AreEncodedAsReplacementCharacters()
    {
        CollectionAssert.AreEqual(Tokenizer.Encode("ab\uFFFDcd\uFFFD").ToArray(), Tokenizer.Encode("ab\uD800cd\uDC00").ToArray());
        Assert.AreEqual(Tokenizer.CountTokens("\uFFFD x"), Tokenizer.CountTokens("\uDBFF x"));
        CollectionAssert.AreEqual(Tokenizer.Encode("😀").ToArray(), Tokenizer.Encode("\uD83D\uDE00").ToArray());
    }

    [TestMethod]
    public void Encode_VeryLongWords_RoundTrip()
    {
        foreach (string text in (string[])[new string('a', 50_000), new string(' ', 20_000) + "x", string.Concat(Enumerable.Repeat("😀", 5_000))])
        {
            IReadOnlyList<int> ids = Tokenizer.Encode(text);
            Assert.AreEqual(text, Tokenizer.Decode(ids));
            Assert.AreEqual(ids.Count, Tokenizer.CountTokens(text));
        }
    }

    [TestMethod]
    public void Encode_EmptyText_GivesNoIds()
    {
        Assert.HasCount(0, Tokenizer.Encode(string.Empty));
        Assert.AreEqual(0, Tokenizer.CountTokens(string.Empty));
        Assert.AreEqual(string.Empty, Tokenizer.Decode(Array.Empty<int>()));
    }
}
