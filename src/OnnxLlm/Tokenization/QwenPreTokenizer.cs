using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace OnnxLlm.Tokenization;

/// <summary>Qwen2's pre-tokenization rule: how text is cut into pieces before BPE merges bytes within each.</summary>
internal static partial class QwenPreTokenizer
{
    // Qwen2's pattern, from its tokenizer.json, with one adaptation: .NET matches UTF-16 units, not code points,
    // so the optional non-letter before a word also accepts a whole surrogate pair (an emoji directly
    // followed by letters stays one piece, as in the Rust tokenizer).
    private const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\r\n\p{L}\p{N}])?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Regex();

    /// <summary>The pre-tokenizer, splitting the added tokens out first.</summary>
    public static PreTokenizer Create(IReadOnlyDictionary<string, int> addedTokens) => new RegexPreTokenizer(Regex(), addedTokens);
}
