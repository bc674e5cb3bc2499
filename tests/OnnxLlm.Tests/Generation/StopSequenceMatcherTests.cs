using System.Text;
using OnnxLlm.Generation.Stopping;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class StopSequenceMatcherTests
{
    [TestMethod]
    public void StopSplitAcrossTwoPieces()
    {
        var (emitted, result) = Feed(["Hello <|im", "_end|> ignored"], "<|im_end|>");
        Assert.AreEqual("Hello ", emitted);
        Assert.IsTrue(result.Stopped);
        Assert.AreEqual("<|im_end|>", result.MatchedStop);
    }

    [TestMethod]
    public void StopSplitAcrossThreePieces_PrefixIsWithheldUntilDecided()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);
        var r1 = matcher.Append("abc S");
        Assert.AreEqual("abc ", r1.Emit);
        Assert.AreEqual(1, matcher.PendingLength);
        var r2 = matcher.Append("TO");
        Assert.AreEqual(string.Empty, r2.Emit);
        Assert.IsFalse(r2.Stopped);
        var r3 = matcher.Append("P tail");
        Assert.AreEqual(string.Empty, r3.Emit);
        Assert.IsTrue(r3.Stopped);
        Assert.AreEqual("STOP", matcher.MatchedStop);
        Assert.AreEqual(string.Empty, matcher.Flush());
    }

    [TestMethod]
    public void WithheldPrefixThatFailsToMatch_IsReleased()
    {
        var matcher = new StopSequenceMatcher(["STOP"]);
        Assert.AreEqual("x", matcher.Append("xST").Emit);
        Assert.AreEqual("STx", matcher.Append("x").Emit);
        Assert.AreEqual(0, matcher.PendingLength);
    }

    [TestMethod]
    public void StopAtTheVeryStart()
    {
        var (emitted, result) = Feed(["</s>rest"], "</s>");
        Assert.AreEqual(string.Empty, emitted);
        Assert.IsTrue(result.Stopped);
    }

    [TestMethod]
    public void StopInsideOnePiece_TextAfterItIsDropped()
    {
        var (emitted, result) = Feed(["one ", "two\n\nUser: three", " four"], "\n\nUser:");
        Assert.AreEqual("one two", emitted);
        Assert.IsTrue(result.Stopped);
    }

    [TestMethod]
    public void NoStop_FlushReturnsWithheldText_AndConcatenationIsTheInput()
    {
        string[] pieces = ["It was a <", "|im", "_sta", "rt|> and <|im_e", "nd"];
        var matcher = new StopSequenceMatcher(["<|im_end|>", "<|endoftext|>"]);
        var output = new StringBuilder();
        foreach (string piece in pieces)
        {
            var result = matcher.Append(piece);
            Assert.IsFalse(result.Stopped);
            output.Append(result.Emit);
        }

        Assert.AreEqual("<|im_e".Length + "nd".Length, matcher.PendingLength);
        output.Append(matcher.Flush());
        Assert.AreEqual(string.Concat(pieces), output.ToString());
        Assert.AreEqual(string.Empty, matcher.Flush());
    }

    [TestMethod]
    public void OverlappingStops_EarliestCompletionWins_CharByChar()
    {
        var (emitted, result) = Feed(["a", "b", "c"], "bc", "ab");
        Assert.AreEqual(string.Empty, emitted);
        Assert.AreEqual("ab", result.MatchedStop);
    }

    [TestMethod]
    public void OverlappingStops_SameResultWhenTheTextArrivesAtOnce()
    {
        Assert.AreEqual("ab", Feed(["abc"], "bc", "ab").Result.MatchedStop);

        // "bc" completes before "abcd" could; the winner must not depend on how the text is chunked.
        Assert.AreEqual(("xa", "bc"), Summary(Feed(["xabcd"], "abcd", "bc")));
        Assert.AreEqual(("xa", "bc"), Summary(Feed(["x", "a", "b", "c", "d"], "abcd", "bc")));

        // Same end position: the longer (earlier-starting) stop wins, so no part of either is emitted.
        Assert.AreEqual(("x", "abc"), Summary(Feed(["xabc"], "bc", "abc")));
    }

    [TestMethod]
    public void MultipleStops_FirstOneInTheTextWins()
    {
        var (emitted, result) = Feed(["alpha END beta ", "STOP"], "STOP", "END");
        Assert.AreEqual("alpha ", emitted);
        Assert.AreEqual("END", result.MatchedStop);
    }

    [TestMethod]
    public void ChineseStops_SplitAcrossPieces()
    {
        var (emitted, result) = Feed(["你好，世界。", "结", "束吧"], "结束");
        Assert.AreEqual("你好，世界。", emitted);
        Assert.AreEqual("结束", result.MatchedStop);

        var (all, none) = Feed(["结", "果"], "结束");
        Assert.IsFalse(none.Stopped);
        Assert.AreEqual("结果", all);
    }

    [TestMethod]
    public void EveryChunkingOfAText_GivesTheSameOutput()
    {
        const string Text = "The answer is 42.<|im_end|>\nmore";
        string[] stops = ["<|im_end|>", "answer was", "42.<|x"];
        var random = new Random(4);
        for (int trial = 0; trial < 200; trial++)
        {
            var pieces = new List<string>();
            for (int i = 0; i < Text.Length;)
            {
                int len = Math.Min(random.Next(1, 6), Text.Length - i);
                pieces.Add(Text.Substring(i, len));
                i += len;
            }

            var (emitted, result) = Feed(pieces, stops);
            Assert.AreEqual("The answer is 42.", emitted, string.Join("|", pieces));
            Assert.AreEqual("<|im_end|>", result.MatchedStop);
        }
    }

    [TestMethod]
    public void InvalidStops_AreRejected()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => new StopSequenceMatcher(null!));
        Assert.ThrowsExactly<ArgumentException>(() => new StopSequenceMatcher(["ok", ""]));
        Assert.ThrowsExactly<ArgumentException>(() => new StopSequenceMatcher(["ok", null!]));
    }

    [TestMethod]
    public void NoStops_PassesEverythingThrough_DuplicatesIgnored()
    {
        var none = new StopSequenceMatcher([]);
        Assert.AreEqual("abc", none.Append("abc").Emit);
        Assert.AreEqual(1, new StopSequenceMatcher(["x", "x"]).StopSequences.Count);
    }

    [TestMethod]
    public void AppendAfterStop_Throws_UntilReset()
    {
        var matcher = new StopSequenceMatcher(["!"]);
        Assert.IsTrue(matcher.Append("hi!").Stopped);
        Assert.ThrowsExactly<InvalidOperationException>(() => matcher.Append("more"));
        matcher.Reset();
        Assert.AreEqual("again", matcher.Append("again").Emit);
    }

    [TestMethod]
    public void LongStream_BufferStaysSmall()
    {
        var matcher = new StopSequenceMatcher(["<|im_end|>"]);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.AreEqual("token ", matcher.Append("token ").Emit);
        }

        Assert.AreEqual(0, matcher.PendingLength);
    }

    private static (string Emitted, StopMatchResult Result) Feed(IEnumerable<string> pieces, params string[] stops)
    {
        var matcher = new StopSequenceMatcher(stops);
        var output = new StringBuilder();
        StopMatchResult last = default;
        foreach (string piece in pieces)
        {
            last = matcher.Append(piece);
            output.Append(last.Emit);
            if (last.Stopped)
            {
                return (output.ToString(), last);
            }
        }

        output.Append(matcher.Flush());
        return (output.ToString(), last);
    }

    private static (string, string?) Summary((string Emitted, StopMatchResult Result) run) => (run.Emitted, run.Result.MatchedStop);
}
