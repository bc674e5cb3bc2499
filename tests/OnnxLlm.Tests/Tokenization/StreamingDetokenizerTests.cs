using System.Text;
using System.Text.Unicode;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

[TestClass]
public sealed class StreamingDetokenizerTests
{
    private const char Replacement = '\uFFFD';

    public static IEnumerable<TestDataRow<GoldenCase>> GoldenRows => TokenizerTestData.GoldenRows;

    private static QwenTokenizer Tokenizer => TokenizerTestData.Instruct;

    [TestMethod]
    [DynamicData(nameof(GoldenRows))]
    public void FeedingGoldenIdsOneByOne_ReproducesDecode(GoldenCase golden)
    {
        foreach (bool skipSpecial in (bool[])[false, true])
        {
            string expected = Tokenizer.Decode(golden.Ids, skipSpecial);
            List<string> pieces = Stream(golden.Ids, skipSpecial);

            Assert.AreEqual(expected, string.Concat(pieces), $"skipSpecialTokens={skipSpecial}");
            if (!expected.Contains(Replacement))
            {
                Assert.IsFalse(pieces.Any(p => p.Contains(Replacement)), "a piece contains U+FFFD although the full decode does not");
            }
        }
    }

    [TestMethod]
    public void GoldenEmojiCase_SplitsCharactersAcrossTokens_AndHoldsThemBack()
    {
        GoldenCase emoji = TokenizerTestData.Golden.Single(c => c.Text.StartsWith("emoji", StringComparison.Ordinal));

        // Make sure the case really exercises the hold-back: some token must end inside a UTF-8 character.
        int splitIndex = Array.FindIndex(emoji.Ids, id => !Utf8.IsValid(Tokenizer.GetTokenBytes(id)));
        Assert.IsGreaterThanOrEqualTo(0, splitIndex, "no token of the emoji case ends inside a character");

        var detokenizer = Tokenizer.CreateStreamingDetokenizer();
        var text = new StringBuilder();
        for (int i = 0; i < emoji.Ids.Length; i++)
        {
            string piece = detokenizer.Append(emoji.Ids[i]);
            Assert.IsFalse(piece.Contains(Replacement), $"piece {i} contains U+FFFD");
            Assert.IsTrue(Utf8.IsValid(Encoding.UTF8.GetBytes(piece)) && !HasLoneSurrogate(piece), $"piece {i} is not well-formed text");
            text.Append(piece);
            Assert.IsTrue(emoji.Decoded.StartsWith(text.ToString(), StringComparison.Ordinal), $"after token {i} the text is not a prefix of the decode");
        }

        Assert.AreEqual(string.Empty, detokenizer.Flush());
        Assert.AreEqual(emoji.Decoded, text.ToString());
    }

    [TestMethod]
    public void RareChineseCharacter_IsHeldBackUntilItsLastByteArrives()
    {
        // U+9F98 is not a vocabulary entry, so byte-level BPE spells it with several byte tokens.
        const string text = "龘";
        int[] ids = Tokenizer.Encode(text).ToArray();
        Assert.IsGreaterThan(1, ids.Length, "the character is not split across tokens");
        Assert.AreEqual(Rune.GetRuneAt(text, 0).Utf8SequenceLength, ids.Sum(id => Tokenizer.GetTokenBytes(id).Length));
        Assert.IsFalse(Utf8.IsValid(Tokenizer.GetTokenBytes(ids[0])), "the first token holds a complete character");

        var detokenizer = Tokenizer.CreateStreamingDetokenizer();
        for (int i = 0; i < ids.Length - 1; i++)
        {
            Assert.AreEqual(string.Empty, detokenizer.Append(ids[i]));
            Assert.IsGreaterThan(0, detokenizer.PendingByteCount);
        }

        Assert.AreEqual(text, detokenizer.Append(ids[^1]));
        Assert.AreEqual(0, detokenizer.PendingByteCount);
    }

    [TestMethod]
    public void Flush_EmitsAnUnfinishedCharacterAsDecodeDoes()
    {
        int[] ids = Tokenizer.Encode("好龘").ToArray();
        int[] truncated = ids[..^1];

        List<string> pieces = Stream(truncated, skipSpecialTokens: false);

        string decoded = Tokenizer.Decode(truncated);
        Assert.AreEqual("好" + Replacement, decoded);
        Assert.AreEqual(decoded, string.Concat(pieces));
        Assert.AreEqual(Replacement.ToString(), pieces[^1], "only Flush may emit the replacement character");
    }

    [TestMethod]
    public void SkipSpecialTokens_LeavesOutSpecialButNotOtherAddedTokens()
    {
        int[] ids = Tokenizer.Encode("<|im_start|>assistant\n<tool_call>x</tool_call><|im_end|>").ToArray();

        Assert.AreEqual("assistant\n<tool_call>x</tool_call>", string.Concat(Stream(ids, skipSpecialTokens: true)));
        Assert.AreEqual("<|im_start|>assistant\n<tool_call>x</tool_call><|im_end|>", string.Concat(Stream(ids, skipSpecialTokens: false)));
    }

    [TestMethod]
    public void RandomIdSequences_ConcatenateToDecode()
    {
        // Random ids produce every kind of broken UTF-8 (stray continuation bytes, truncated sequences, special tokens
        // in the middle of a character), which the streamed text must turn into exactly what Decode produces.
        var random = new Random(1234);
        int[] byteTokens = Enumerable.Range(0, 256).Select(b => Tokenizer.TokenToId(ByteLevelToken((byte)b))!.Value).ToArray();
        for (int sequence = 0; sequence < 500; sequence++)
        {
            int[] ids = new int[random.Next(1, 40)];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = random.Next(4) switch
                {
                    0 => byteTokens[random.Next(byteTokens.Length)],
                    1 => random.Next(151643, 151680), // added tokens and a few ids past the vocabulary
                    _ => random.Next(0, 151643),
                };
            }

            bool skipSpecial = sequence % 2 == 0;
            Assert.AreEqual(Tokenizer.Decode(ids, skipSpecial), string.Concat(Stream(ids, skipSpecial)), $"sequence {sequence}: [{string.Join(", ", ids)}]");
        }
    }

    [TestMethod]
    public void TryAppend_WithTooSmallBuffer_DoesNotConsumeTheToken()
    {
        int id = Tokenizer.Encode(" world").Single();
        var detokenizer = Tokenizer.CreateStreamingDetokenizer();

        Assert.IsFalse(detokenizer.TryAppend(id, new char[3], out _));
        Assert.AreEqual(0, detokenizer.PendingByteCount);

        char[] buffer = new char[16];
        Assert.IsTrue(detokenizer.TryAppend(id, buffer, out int written));
        Assert.AreEqual(" world", new string(buffer, 0, written));
    }

    [TestMethod]
    public void TryAppend_InSteadyState_DoesNotAllocate()
    {
        int[] ids = TokenizerTestData.Golden.SelectMany(c => c.Ids).ToArray();
        var detokenizer = Tokenizer.CreateStreamingDetokenizer();
        char[] buffer = new char[1024];
        foreach (int id in ids)
        {
            detokenizer.TryAppend(id, buffer, out _); // Warm up: JIT and buffer growth.
        }

        detokenizer.Reset();
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (int id in ids)
        {
            detokenizer.TryAppend(id, buffer, out _);
        }

        Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    [DataRow(new byte[] { }, 0, DisplayName = "empty")]
    [DataRow(new byte[] { 0x61, 0x62 }, 2, DisplayName = "ASCII")]
    [DataRow(new byte[] { 0x61, 0xE4 }, 1, DisplayName = "lead byte of 3")]
    [DataRow(new byte[] { 0x61, 0xE4, 0xB8 }, 1, DisplayName = "2 of 3 bytes")]
    [DataRow(new byte[] { 0xE4, 0xB8, 0x80 }, 3, DisplayName = "complete 3-byte character")]
    [DataRow(new byte[] { 0xF0, 0x9F, 0x98 }, 0, DisplayName = "3 of 4 bytes")]
    [DataRow(new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, 4, DisplayName = "complete emoji")]
    [DataRow(new byte[] { 0x61, 0xE0, 0x80 }, 3, DisplayName = "invalid second byte: nothing to wait for")]
    [DataRow(new byte[] { 0x61, 0xF5 }, 2, DisplayName = "never-valid byte")]
    [DataRow(new byte[] { 0x61, 0xC0 }, 2, DisplayName = "overlong lead byte")]
    [DataRow(new byte[] { 0x61, 0x80 }, 2, DisplayName = "stray continuation byte")]
    [DataRow(new byte[] { 0xED, 0xA0 }, 2, DisplayName = "surrogate encoding")]
    public void CompleteLength_HoldsBackOnlyValidIncompleteSequences(byte[] bytes, int expected)
    {
        Assert.AreEqual(expected, StreamingDetokenizer.CompleteLength(bytes));
    }

    private static List<string> Stream(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer, skipSpecialTokens);
        var pieces = ids.Select(detokenizer.Append).ToList();
        pieces.Add(detokenizer.Flush());
        return pieces;
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsSurrogate(text[i]) && !char.IsSurrogatePair(text, i) && (i == 0 || !char.IsSurrogatePair(text, i - 1)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The byte-level vocabulary spelling of one byte, computed independently of the tokenizer (GPT-2's bytes_to_unicode).</summary>
    private static string ByteLevelToken(byte b)
    {
        bool printable = b is >= (byte)'!' and <= (byte)'~' or >= 0xA1 and <= 0xAC or >= 0xAE;
        if (printable)
        {
            return ((char)b).ToString();
        }

        int n = 0;
        for (int other = 0; other < b; other++)
        {
            if (!(other is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE))
            {
                n++;
            }
        }

        return ((char)(256 + n)).ToString();
    }
}
