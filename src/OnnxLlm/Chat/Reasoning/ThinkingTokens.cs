using OnnxLlm.Tokenization;

namespace OnnxLlm.Chat.Reasoning;

/// <summary>
/// The tags a thinking model (Qwen3) wraps its reasoning in, and their token ids in one tokenizer. In Qwen3 they are
/// added tokens that are not "special" (151667 / 151668), so the engine's detokenizer keeps them in the text stream,
/// which is where <see cref="ReasoningStreamSplitter"/> finds them.
/// </summary>
internal sealed record ThinkingTokens(int StartId, int EndId)
{
    /// <summary>Opens a reasoning block.</summary>
    public const string StartTag = "<think>";

    /// <summary>Closes a reasoning block; the answer follows.</summary>
    public const string EndTag = "</think>";

    /// <summary>The ids of both tags when the tokenizer has them as single added tokens (Qwen3), else null (Qwen2.5).</summary>
    public static ThinkingTokens? Detect(QwenTokenizer tokenizer) =>
        tokenizer.AddedTokens.TryGetValue(StartTag, out int start) && tokenizer.AddedTokens.TryGetValue(EndTag, out int end)
            ? new ThinkingTokens(start, end)
            : null;

    /// <summary>
    /// Whether generation continuing <paramref name="prompt"/> starts inside a reasoning block: the prompt's last tag is
    /// an unclosed <c>&lt;think&gt;</c> (templates that open the block themselves, e.g. DeepSeek-R1's distills).
    /// </summary>
    public static bool PromptOpensReasoning(string prompt) =>
        prompt.LastIndexOf(StartTag, StringComparison.Ordinal) is int open and >= 0
        && prompt.IndexOf(EndTag, open, StringComparison.Ordinal) < 0;
}
