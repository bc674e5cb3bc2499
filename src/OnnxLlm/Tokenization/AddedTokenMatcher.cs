using System.Buffers;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Finds added tokens inside text with Hugging Face's semantics: the leftmost occurrence wins and, among tokens
/// starting there, the longest one (so <c>&lt;|fim_prefix|&gt;</c> is never cut short by a shorter added token).
/// </summary>
/// <remarks>
/// Added tokens are few (22 for Qwen2.5) and nearly all begin with '&lt;', so a vectorised search for the possible
/// first characters followed by a length-ordered comparison is faster than a general automaton and needs no state.
/// The type is immutable and therefore safe to share between threads.
/// </remarks>
internal sealed class AddedTokenMatcher
{
    private readonly SearchValues<char> _firstChars;
    private readonly Dictionary<char, AddedToken[]> _candidatesByFirstChar;

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _candidatesByFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
        _firstChars = SearchValues.Create(_candidatesByFirstChar.Keys.ToArray());
    }

    /// <summary>Whether there is no added token to look for.</summary>
    public bool IsEmpty => _candidatesByFirstChar.Count == 0;

    /// <summary>
    /// Finds the first added token in <paramref name="text"/>.
    /// </summary>
    /// <returns>The index of the match, or -1 when the text contains no added token.</returns>
    public int FindNext(ReadOnlySpan<char> text, out AddedToken token)
    {
        int offset = 0;
        while (offset < text.Length)
        {
            int found = text[offset..].IndexOfAny(_firstChars);
            if (found < 0)
            {
                break;
            }

            int position = offset + found;
            ReadOnlySpan<char> rest = text[position..];
            foreach (AddedToken candidate in _candidatesByFirstChar[rest[0]])
            {
                if (rest.StartsWith(candidate.Content, StringComparison.Ordinal))
                {
                    token = candidate;
                    return position;
                }
            }

            offset = position + 1;
        }

        token = default;
        return -1;
    }
}
