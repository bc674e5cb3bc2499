namespace OnnxLlm.Generation.Stopping;

/// <summary>
/// Detects stop sequences in streamed, decoded text, where a stop sequence may be split across any number of
/// pieces (tokens rarely align with stop strings), and decides what text is safe to emit while streaming.
/// </summary>
/// <remarks>
/// <para>
/// Usage per generation: call <see cref="Append"/> with each newly decoded piece and forward
/// <see cref="StopMatchResult.Emit"/> to the caller. When <see cref="StopMatchResult.Stopped"/> is true, stop
/// generating. If generation ends for any other reason (EOS, length limit, cancellation), call <see cref="Flush"/>
/// and emit what it returns. The concatenation of everything emitted is then exactly the generated text truncated
/// just before the first stop sequence (or the whole text when none occurred), however the text was split.
/// </para>
/// <para>
/// Holding back: text that ends with a proper prefix of some stop sequence (e.g. "&lt;|im" for "&lt;|im_end|&gt;")
/// is withheld until the next piece proves or disproves the match, so the user never sees half of a stop sequence.
/// </para>
/// <para>
/// Which stop wins: the one that completes first in the text (smallest end position), which is what a streaming
/// check after every token would see; if several complete at the same position the longest (earliest-starting) one
/// wins. Example: stops "ab" and "bc" over text "abc" stop at "ab" and emit nothing. Consequently the emitted text
/// never contains any of the stop sequences. Matching is ordinal (exact UTF-16 code units; no culture, no case folding).
/// </para>
/// <para>
/// Allocation: one reusable char buffer holds the withheld text; only the returned <see cref="StopMatchResult.Emit"/>
/// strings allocate (empty results return <see cref="string.Empty"/>). Not thread-safe.
/// </para>
/// </remarks>
internal sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private char[] _buffer;
    private int _length; // withheld chars at the start of _buffer

    /// <summary>Creates a matcher for the given stop sequences (duplicates are ignored; an empty list never stops).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stopSequences"/> is null.</exception>
    /// <exception cref="ArgumentException">A stop sequence is null or empty.</exception>
    public StopSequenceMatcher(IEnumerable<string> stopSequences)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        var distinct = new List<string>();
        int maxLength = 0;
        foreach (string? stop in stopSequences)
        {
            if (string.IsNullOrEmpty(stop))
            {
                throw new ArgumentException("Stop sequences must be non-empty strings.", nameof(stopSequences));
            }

            if (!distinct.Contains(stop, StringComparer.Ordinal))
            {
                distinct.Add(stop);
                maxLength = Math.Max(maxLength, stop.Length);
            }
        }

        _stops = [.. distinct];
        _buffer = new char[Math.Max(64, 2 * maxLength)];
    }

    /// <summary>The distinct stop sequences, in the order given.</summary>
    public IReadOnlyList<string> StopSequences => _stops;

    /// <summary>True once a stop sequence has completed; further <see cref="Append"/> calls are an error until <see cref="Reset"/>.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The stop sequence that completed, or <see langword="null"/>.</summary>
    public string? MatchedStop { get; private set; }

    /// <summary>Number of characters currently withheld (a possible beginning of a stop sequence).</summary>
    public int PendingLength => _length;

    /// <summary>
    /// Feeds the next decoded text piece. Returns the text that can be emitted now and whether a stop sequence
    /// completed. After a stop, the withheld text and the rest of <paramref name="piece"/> are discarded.
    /// </summary>
    /// <exception cref="InvalidOperationException">The matcher has already stopped.</exception>
    public StopMatchResult Append(ReadOnlySpan<char> piece)
    {
        if (IsStopped)
        {
            throw new InvalidOperationException("A stop sequence already completed; call Reset() before appending more text.");
        }

        if (piece.IsEmpty)
        {
            return new StopMatchResult(string.Empty, false, null);
        }

        EnsureCapacity(_length + piece.Length);
        piece.CopyTo(_buffer.AsSpan(_length));
        _length += piece.Length;
        ReadOnlySpan<char> text = _buffer.AsSpan(0, _length);

        // The withheld part contained no complete stop, so any match found now ends inside the new piece; the first
        // occurrence of each stop is the one that ends first for that stop.
        int bestStart = -1, bestEnd = int.MaxValue;
        string? best = null;
        foreach (string stop in _stops)
        {
            int start = text.IndexOf(stop.AsSpan(), StringComparison.Ordinal);
            if (start < 0)
            {
                continue;
            }

            int end = start + stop.Length;
            if (end < bestEnd || (end == bestEnd && start < bestStart))
            {
                (bestStart, bestEnd, best) = (start, end, stop);
            }
        }

        if (best is not null)
        {
            string emit = ToStringOrEmpty(text[..bestStart]);
            _length = 0;
            IsStopped = true;
            MatchedStop = best;
            return new StopMatchResult(emit, true, best);
        }

        int withheld = LongestSuffixThatStartsAStop(text);
        int emitLength = text.Length - withheld;
        string safe = ToStringOrEmpty(text[..emitLength]);
        if (emitLength > 0)
        {
            text[emitLength..].CopyTo(_buffer); // memmove semantics: overlap is fine
            _length = withheld;
        }

        return new StopMatchResult(safe, false, null);
    }

    /// <summary>
    /// Ends the stream for a reason other than a stop sequence: returns the withheld text (it turned out not to
    /// be a stop sequence) and clears it. Returns <see cref="string.Empty"/> after a stop or when nothing is withheld.
    /// </summary>
    public string Flush()
    {
        string rest = ToStringOrEmpty(_buffer.AsSpan(0, _length));
        _length = 0;
        return rest;
    }

    /// <summary>Clears all state so the matcher can serve another generation with the same stop sequences.</summary>
    public void Reset()
    {
        _length = 0;
        IsStopped = false;
        MatchedStop = null;
    }

    /// <summary>Length of the longest suffix of <paramref name="text"/> that is a proper prefix of some stop.</summary>
    private int LongestSuffixThatStartsAStop(ReadOnlySpan<char> text)
    {
        int longest = 0;
        foreach (string stop in _stops)
        {
            // Only lengths above the current best can improve it; check longest candidates first.
            for (int len = Math.Min(stop.Length - 1, text.Length); len > longest; len--)
            {
                if (text.EndsWith(stop.AsSpan(0, len), StringComparison.Ordinal))
                {
                    longest = len;
                    break;
                }
            }
        }

        return longest;
    }

    private void EnsureCapacity(int needed)
    {
        if (needed > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(needed, 2 * _buffer.Length));
        }
    }

    private static string ToStringOrEmpty(ReadOnlySpan<char> chars) => chars.IsEmpty ? string.Empty : new string(chars);
}
