using OnnxLlm.Chat.Reasoning;

namespace OnnxLlm.Tests.Reasoning;

/// <summary>
/// The text splitter against Qwen3's own parsing (the reasoning is the text between the tags stripped of newlines, the
/// answer the text after <c>&lt;/think&gt;</c> stripped of leading newlines), for every way a stream can be chunked.
/// </summary>
[TestClass]
public sealed class ReasoningStreamSplitterTests
{
    private static (string Reasoning, string Answer) Split(IEnumerable<string> chunks, bool startsInReasoning = false)
    {
        var splitter = new ReasoningStreamSplitter(startsInReasoning);
        var pieces = chunks.SelectMany(splitter.Append).Concat(splitter.Flush()).ToList();
        return (string.Concat(pieces.Where(p => p.IsReasoning).Select(p => p.Text)),
                string.Concat(pieces.Where(p => !p.IsReasoning).Select(p => p.Text)));
    }

    /// <summary>Every split of the text into two chunks, and one character per chunk: a tag or a newline run may be cut anywhere.</summary>
    private static IEnumerable<string[]> Chunkings(string text) =>
        Enumerable.Range(0, text.Length + 1).Select(i => new[] { text[..i], text[i..] })
            .Append(text.Select(c => c.ToString()).ToArray());

    [TestMethod]
    [DataRow("<think>\nLet me see: 2+2.\n</think>\n\nIt is 4.", "Let me see: 2+2.", "It is 4.")]
    [DataRow("<think>\n\n</think>\n\nDirect.", "", "Direct.")]
    [DataRow("<think>\nline one\n\nline two\n</think>\n\nA\n\nB\n", "line one\n\nline two", "A\n\nB")]
    [DataRow("No thinking here.", "", "No thinking here.")]
    [DataRow("Answer first, then <think>not a block</think>.", "", "Answer first, then <think>not a block</think>.")]
    [DataRow("<think>\nunfinished <thi", "unfinished <thi", "")]
    [DataRow("<think>\nuses 1 < 2 and </thinking> text\n</think>ok", "uses 1 < 2 and </thinking> text", "ok")]
    public void SplitsLikeQwen3_HoweverTheStreamIsChunked(string text, string reasoning, string answer)
    {
        foreach (var chunks in Chunkings(text))
        {
            var (r, a) = Split(chunks);
            Assert.AreEqual(reasoning, r, $"reasoning of [{string.Join("|", chunks)}]");
            Assert.AreEqual(answer, a, $"answer of [{string.Join("|", chunks)}]");
        }
    }

    [TestMethod]
    public void PromptThatOpensTheBlock_StartsInReasoning()
    {
        Assert.IsTrue(ThinkingTokens.PromptOpensReasoning("<|im_start|>assistant\n<think>\n"));
        Assert.IsFalse(ThinkingTokens.PromptOpensReasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        Assert.IsFalse(ThinkingTokens.PromptOpensReasoning("<|im_start|>assistant\n"));
        Assert.AreEqual(("step by step", "Done."), Split(["step by step\n</think>\n\nDone."], startsInReasoning: true));
    }

    [TestMethod]
    public void InReasoning_FollowsTheTags()
    {
        var splitter = new ReasoningStreamSplitter();
        Assert.IsFalse(splitter.InReasoning);
        splitter.Append("<think>");
        Assert.IsTrue(splitter.InReasoning);
        splitter.Append("\nhmm\n");
        Assert.IsTrue(splitter.InReasoning);
        splitter.Append("</think>");
        Assert.IsFalse(splitter.InReasoning);
    }
}
