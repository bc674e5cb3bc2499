using System.Text;

namespace OnnxLlm.Chat.Reasoning;

/// <summary>
/// Splits a model's streamed text at <c>&lt;think&gt;</c> / <c>&lt;/think&gt;</c> into reasoning and answer pieces, as
/// Qwen3's own parsing does: the tags are dropped, and the newlines the template puts around them (the block's leading
/// and trailing newlines, the answer's leading ones) are trimmed. Text that might be the start of a tag, or newlines
/// that might turn out to be trailing, are held back until the next chunk decides, so a tag split across chunks is
/// never shown. One instance serves one response.
/// </summary>
internal sealed class ReasoningStreamSplitter
{
    private readonly StringBuilder _pending = new();
    private bool _atSectionStart = true;
    // A block opens only before any answer text (Qwen3 thinks first, once); after that "<think>" is just text.
    private bool _blockPossible = true;

    /// <param name="startsInReasoning">The prompt already opened the block (see <see cref="ThinkingTokens.PromptOpensReasoning"/>).</param>
    public ReasoningStreamSplitter(bool startsInReasoning = false) => InReasoning = startsInReasoning;

    /// <summary>Whether the text seen so far ends inside a reasoning block.</summary>
    public bool InReasoning { get; private set; }

    /// <summary>Consumes a chunk; returns the pieces now certain, each marked reasoning or answer, in order.</summary>
    public IReadOnlyList<(bool IsReasoning, string Text)> Append(string chunk)
    {
        var pieces = new List<(bool, string)>();
        _pending.Append(chunk);
        Drain(pieces, final: false);
        return pieces;
    }

    /// <summary>End of the stream: releases what was held back (an unfinished tag is shown as text, trailing newlines are dropped).</summary>
    public IReadOnlyList<(bool IsReasoning, string Text)> Flush()
    {
        var pieces = new List<(bool, string)>();
        Drain(pieces, final: true);
        return pieces;
    }

    private void Drain(List<(bool, string)> pieces, bool final)
    {
        while (_pending.Length > 0)
        {
            string text = _pending.ToString();
            string tag = InReasoning ? ThinkingTokens.EndTag : ThinkingTokens.StartTag;
            bool tagPossible = InReasoning || _blockPossible;
            int at = tagPossible ? text.IndexOf(tag, StringComparison.Ordinal) : -1;
            if (at >= 0 && !InReasoning && text.AsSpan(0, at).TrimStart('\n').Length > 0)
                at = -1; // answer text came first: this "<think>" is part of the answer
            if (at >= 0)
            {
                Emit(pieces, text[..at], trimTrailingNewlines: true);
                _pending.Remove(0, at + tag.Length);
                InReasoning = !InReasoning;
                _blockPossible = false;
                _atSectionStart = true;
                continue;
            }
            int keep = final ? 0 : HeldBack(text, tag, tagPossible);
            Emit(pieces, text[..(text.Length - keep)], trimTrailingNewlines: final);
            _pending.Remove(0, text.Length - keep);
            return;
        }
    }

    /// <summary>Characters at the end of <paramref name="text"/> that must wait: a possible tag start, and newlines that may be trailing.</summary>
    private static int HeldBack(string text, string tag, bool tagPossible)
    {
        int keep = 0;
        if (tagPossible)
        {
            for (int length = Math.Min(tag.Length - 1, text.Length); length > 0; length--)
            {
                if (text.AsSpan(text.Length - length).SequenceEqual(tag.AsSpan(0, length))) { keep = length; break; }
            }
        }
        int end = text.Length - keep;
        while (end > 0 && text[end - 1] == '\n') end--;
        return text.Length - end;
    }

    private void Emit(List<(bool, string)> pieces, string text, bool trimTrailingNewlines)
    {
        if (_atSectionStart) text = text.TrimStart('\n');
        if (trimTrailingNewlines) text = text.TrimEnd('\n');
        if (text.Length == 0) return;
        _atSectionStart = false;
        if (!InReasoning) _blockPossible = false;
        pieces.Add((InReasoning, text));
    }
}
