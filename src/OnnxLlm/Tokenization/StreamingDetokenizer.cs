using System.Buffers;
using System.Text;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Turns a stream of generated token ids into text as it arrives, without ever emitting a broken character.
/// </summary>
/// <remarks>
/// <para>
/// Byte-level BPE tokens are byte strings, so one Chinese character or emoji is often split across two or three
/// tokens. This type keeps the bytes of an unfinished UTF-8 sequence back until the tokens that complete it arrive,
/// and emits everything before it. Invalid bytes that no later token could repair are emitted at once as U+FFFD.
/// The concatenation of every <see cref="Append(int)"/> result and the final <see cref="Flush"/> equals
/// <see cref="QwenTokenizer.Decode(IEnumerable{int}, bool)"/> of all the ids with the same
/// <see cref="SkipSpecialTokens"/>: text is only cut before a UTF-8 lead byte, where the decoder's output cannot
/// depend on what follows.
/// </para>
/// <para>
/// One instance serves one generation and is not thread-safe. In steady state <see cref="Append(int)"/> allocates
/// only the string it returns (nothing when no text is complete) and <see cref="TryAppend"/> allocates nothing.
/// </para>
/// </remarks>
internal sealed class StreamingDetokenizer
{
    private readonly QwenTokenizer _tokenizer;

    // Bytes not yet emitted. Between calls this is at most 3 bytes: an incomplete but valid UTF-8 prefix.
    // A new token's bytes are first staged after them (_stagedLength) and only committed once the text is handed out.
    private byte[] _pending = new byte[64];
    private int _pendingLength;
    private int _stagedLength;

    /// <summary>Creates a detokenizer for one stream of ids.</summary>
    /// <param name="tokenizer">The tokenizer whose ids will be appended.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens such as <c>&lt;|im_end|&gt;</c>.</param>
    public StreamingDetokenizer(QwenTokenizer tokenizer, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        SkipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Whether special tokens are left out of the text.</summary>
    public bool SkipSpecialTokens { get; }

    /// <summary>The number of bytes held back because they end in an incomplete UTF-8 character.</summary>
    public int PendingByteCount => _pendingLength;

    /// <summary>Adds one token and returns the text it completes; <see cref="string.Empty"/> when none (no allocation).</summary>
    /// <param name="tokenId">The generated token id; unknown ids are ignored, as in <see cref="QwenTokenizer.Decode(IEnumerable{int}, bool)"/>.</param>
    public string Append(int tokenId)
    {
        int complete = Stage(tokenId);
        string text = complete == 0 ? string.Empty : Encoding.UTF8.GetString(_pending, 0, complete);
        Commit(complete);
        return text;
    }

    /// <summary>
    /// Adds one token and writes the text it completes to <paramref name="destination"/>, without allocating.
    /// </summary>
    /// <param name="tokenId">The generated token id.</param>
    /// <param name="destination">Where to write the completed text.</param>
    /// <param name="charsWritten">The number of characters written.</param>
    /// <returns>
    /// False when <paramref name="destination"/> is too small; the token is then not consumed and the call may be
    /// repeated with a larger buffer (a token's bytes plus 3 is always enough, as UTF-8 never has fewer bytes than
    /// UTF-16 code units).
    /// </returns>
    public bool TryAppend(int tokenId, Span<char> destination, out int charsWritten)
    {
        int complete = Stage(tokenId);
        if (!Encoding.UTF8.TryGetChars(_pending.AsSpan(0, complete), destination, out charsWritten))
        {
            return false; // Staged bytes lie beyond _pendingLength, so nothing has changed.
        }

        Commit(complete);
        return true;
    }

    /// <summary>
    /// Ends the stream: returns the held-back bytes of an unfinished character as U+FFFD (as a full decode would)
    /// and resets the detokenizer for reuse.
    /// </summary>
    public string Flush()
    {
        string text = _pendingLength == 0 ? string.Empty : Encoding.UTF8.GetString(_pending, 0, _pendingLength);
        _pendingLength = 0;
        return text;
    }

    /// <summary>Discards held-back bytes, e.g. when a generation is abandoned.</summary>
    public void Reset() => _pendingLength = 0;

    /// <summary>
    /// Copies the token's bytes after the pending ones (without committing them) and returns how many leading bytes
    /// of the buffer can be decoded now.
    /// </summary>
    private int Stage(int tokenId)
    {
        ReadOnlySpan<byte> bytes = SkipSpecialTokens && _tokenizer.IsSpecial(tokenId)
            ? default
            : _tokenizer.GetTokenBytes(tokenId);
        int needed = _pendingLength + bytes.Length;
        if (needed > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(needed, _pending.Length * 2));
        }

        bytes.CopyTo(_pending.AsSpan(_pendingLength));
        _stagedLength = needed;
        return CompleteLength(_pending.AsSpan(0, needed));
    }

    /// <summary>Drops the first <paramref name="emitted"/> staged bytes, keeping the incomplete tail.</summary>
    private void Commit(int emitted)
    {
        int remaining = _stagedLength - emitted;
        if (emitted > 0 && remaining > 0)
        {
            _pending.AsSpan(emitted, remaining).CopyTo(_pending);
        }

        _pendingLength = remaining;
    }

    /// <summary>
    /// The length of the longest prefix that decodes the same now as it will once more bytes arrive: everything but
    /// a trailing incomplete-yet-valid UTF-8 sequence (at most 3 bytes, starting with a lead byte).
    /// </summary>
    internal static int CompleteLength(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.Length;
        for (int k = 1; k <= 3 && k <= n; k++)
        {
            byte b = bytes[n - k];
            if ((b & 0xC0) == 0x80)
            {
                continue; // A continuation byte: the sequence, if any, starts further back.
            }

            // ASCII, a lead byte or a byte that is never valid. Only a lead byte whose sequence is a valid prefix that
            // merely lacks bytes is worth waiting for; anything else decodes identically whatever follows.
            bool incomplete = b is >= 0xC2 and <= 0xF4
                && System.Text.Rune.DecodeFromUtf8(bytes[(n - k)..], out _, out _) == OperationStatus.NeedMoreData;
            return incomplete ? n - k : n;
        }

        return n;
    }
}
