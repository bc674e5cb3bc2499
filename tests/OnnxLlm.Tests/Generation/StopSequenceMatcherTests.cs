using System.Text;
using OnnxLlm.Generation.Stopping;

namespace OnnxLlm.Tests.Generation;

/// <summary>Stop sequences matched on streamed text across arbitrary piece boundaries.</summary>
[TestClass]
public sealed class StopSequenceMatcherTests
{
    /// <summary>Feeds pieces; returns everything emitted (including the final flush) and whether it stopped.</summary>
    private static (string Text, bool Stopped, string? Matched) Feed(IEnumerable<string> stops, params string[] pieces)
    {
        var matcher = new StopSequenceMatcher(stops);
        var output = new StringBuilder();
        foreach (var piece in pieces)
        {
            var result = matcher.Append(piece);
            output.Append(result.Emit);
            if (result.Stopped) return (output.ToString(), true, result.MatchedStop);
        }
        output.Append(matcher.Flush());
        return (output.ToString(), false, null);
    }

    [TestMethod]
    [DataRow(new[] { "Hello wor", "ld! END", " more" }, "Hello world! ")]
    [DataRow(new[] { "Hello world! E", "N", "D more" }, "Hello world! ")]
    [DataRow(new[] { "END right away" }, "")]
    [DataRow(new[] { "abc", "ENx", "END" }, "abcENx")]
    public void StopAcrossPieces_StopsBeforeIt(string[] pieces, string expected)
    {
        var (text, stopped, matched) = Feed(["END"], pieces);
        Assert.IsTrue(stopped);
        Assert.AreEqual("END", matched);
        Assert.AreEqual(expected, text);
    }

    [TestMethod]
    public void NoStop_ReleasesEverything_ConcatenationEqualsInput()
    {
        var pieces = new[] { "The E", "N", "d of ", "EN" };
        var (text, stopped, _) = Feed(["END"], pieces);
        Assert.IsFalse(stopped);
        Assert.AreEqual(string.Concat(pieces), text);
    }

    [TestMethod]
    public void HeldBackText_IsNotEmittedEarly()
    {
        var matcher = new StopSequenceMatcher(["<|stop|>"]);
        Assert.AreEqual("Answer ", matcher.Append("Answer <|st").Emit);
        Assert.AreEqual("<|stx", matcher.Append("x").Emit, "once it cannot be a stop any more it is released");
    }

    [TestMethod]
    public void OverlappingStops_TheEarliestMatchWins()
    {
        Assert.AreEqual(("", true, "ab"), Feed(["bc", "ab"], "a", "b", "c"));
        Assert.AreEqual(("x", true, "bc"), Feed(["bcd", "bc"], "xb", "cd"));
    }

    [TestMethod]
    public void StopInsideOnePiece_DropsEverythingAfterIt() =>
        Assert.AreEqual(("keep ", true, "\n\n"), Feed(["\n\n"], "keep \n\ndrop this"));

    [TestMethod]
    public void ChineseStop_SplitAcrossPieces() =>
        Assert.AreEqual(("你好，", true, "世界"), Feed(["世界"], "你好，世", "界！"));

    [TestMethod]
    public void EmptyStop_IsRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new StopSequenceMatcher([""]));
        Assert.ThrowsExactly<ArgumentException>(() => new StopSequenceMatcher([]));
    }
}
