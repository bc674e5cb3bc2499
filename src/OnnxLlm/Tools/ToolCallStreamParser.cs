using System.Text;
using Microsoft.Extensions.AI;

namespace OnnxLlm.Tools;

/// <summary>
/// Splits streamed model text into plain text and whole tool calls. Text outside
/// <c>&lt;tool_call&gt;…&lt;/tool_call&gt;</c> passes through as soon as it cannot be the start of a tag; text
/// inside a block is never emitted as text, and each block becomes one <see cref="FunctionCallContent"/> once
/// it closes (or at <see cref="Flush"/> if the model stopped inside it). Whitespace that only separates
/// calls from each other or from the text is dropped. One instance per response; not thread-safe.
/// </summary>
internal sealed class ToolCallStreamParser
{
    private readonly StringBuilder _outside = new();
    private readonly StringBuilder _inside = new();
    private string _heldWhitespace = "";
    private bool _inCall;
    private bool _afterCall;

    /// <summary>Calls completed so far.</summary>
    public int CallCount { get; private set; }

    /// <summary>Adds a piece of generated text; returns the text and calls it completed, in order.</summary>
    public IReadOnlyList<AIContent> Append(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<AIContent>();
        if (text.Length == 0) return output;
        (_inCall ? _inside : _outside).Append(text);
        Drain(output);
        return output;
    }

    /// <summary>At the end of the output: releases held text and turns an unclosed block into a call.</summary>
    public IReadOnlyList<AIContent> Flush()
    {
        var output = new List<AIContent>();
        if (_inCall)
        {
            _inCall = false;
            AddCall(output, _inside.ToString());
            _inside.Clear();
        }
        string rest = _heldWhitespace + _outside;
        _heldWhitespace = "";
        _outside.Clear();
        if (rest.Length > 0 && !(_afterCall && string.IsNullOrWhiteSpace(rest)))
            output.Add(new TextContent(_afterCall ? rest.TrimStart() : rest));
        return output;
    }

    private void Drain(List<AIContent> output)
    {
        while (true)
        {
            if (_inCall)
            {
                int close = IndexOf(_inside, ToolCallFormat.CloseTag);
                if (close < 0) return;
                string body = _inside.ToString(0, close);
                string after = _inside.ToString(close + ToolCallFormat.CloseTag.Length, _inside.Length - close - ToolCallFormat.CloseTag.Length);
                _inside.Clear();
                _inCall = false;
                AddCall(output, body);
                _outside.Append(after);
                continue;
            }
            int open = IndexOf(_outside, ToolCallFormat.OpenTag);
            if (open >= 0)
            {
                EmitText(output, _outside.ToString(0, open), beforeCall: true);
                _inside.Append(_outside.ToString(open + ToolCallFormat.OpenTag.Length, _outside.Length - open - ToolCallFormat.OpenTag.Length));
                _outside.Clear();
                _inCall = true;
                continue;
            }
            // Keep back a tail that may be the start of "<tool_call>".
            int keep = PartialTagLength(_outside);
            EmitText(output, _outside.ToString(0, _outside.Length - keep), beforeCall: false);
            _outside.Remove(0, _outside.Length - keep);
            return;
        }
    }

    private void AddCall(List<AIContent> output, string body)
    {
        output.Add(ToolCallParser.Parse(body));
        CallCount++;
        _afterCall = true;
        _heldWhitespace = "";
    }

    private void EmitText(List<AIContent> output, string text, bool beforeCall)
    {
        if (_afterCall)
        {
            text = text.TrimStart();
            if (text.Length == 0) return;
            _afterCall = false;
        }
        string combined = _heldWhitespace + text;
        string body = combined.TrimEnd();
        _heldWhitespace = beforeCall ? "" : combined[body.Length..];
        if (body.Length > 0) output.Add(new TextContent(body));
    }

    private static int PartialTagLength(StringBuilder text)
    {
        string tag = ToolCallFormat.OpenTag;
        for (int length = Math.Min(tag.Length - 1, text.Length); length > 0; length--)
        {
            bool match = true;
            for (int i = 0; i < length && match; i++) match = text[text.Length - length + i] == tag[i];
            if (match) return length;
        }
        return 0;
    }

    private static int IndexOf(StringBuilder text, string value)
    {
        for (int i = 0; i + value.Length <= text.Length; i++)
        {
            int j = 0;
            while (j < value.Length && text[i + j] == value[j]) j++;
            if (j == value.Length) return i;
        }
        return -1;
    }
}
