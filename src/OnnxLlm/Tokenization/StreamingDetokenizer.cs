using System.Text;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Turns generated tokens into text as they arrive, never emitting half a character: bytes of a character
/// split across tokens (Chinese, emoji) wait in a UTF-8 decoder until complete. The concatenation of every
/// piece and <see cref="Flush"/> equals <see cref="QwenTokenizer.Decode"/> of all the tokens.
/// One instance per generation; not thread-safe.
/// </summary>
public sealed class StreamingDetokenizer
{
    private readonly QwenTokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly Decoder _decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];

    /// <summary>Creates a detokenizer for one generation.</summary>
    public StreamingDetokenizer(QwenTokenizer tokenizer, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds a token; returns the text it completed (empty while a character is still partial).</summary>
    public string Append(int tokenId)
    {
        if (_skipSpecialTokens && _tokenizer.IsSpecial(tokenId)) return "";
        return Decode(_tokenizer.GetTokenBytes(tokenId), flush: false);
    }

    /// <summary>At the end: returns what is left (an incomplete character becomes U+FFFD, as in a full decode).</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int needed = _decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        int written = _decoder.GetChars(bytes, _chars, flush);
        return written == 0 ? "" : new string(_chars, 0, written);
    }
}
