using System.Globalization;
using System.Text;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Qwen2's pre-tokenizer: splits text into the words that byte-level BPE merges independently.
/// </summary>
/// <remarks>
/// <para>
/// Qwen2's tokenizer.json declares the split as the regular expression
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>
/// (see <see cref="Pattern"/>), which Hugging Face evaluates with Oniguruma over Unicode code points.
/// </para>
/// <para>
/// This class implements that expression by hand instead of running it through <see cref="System.Text.RegularExpressions.Regex"/>,
/// because .NET regular expressions match UTF-16 code units: a supplementary-plane letter or digit (CJK Extension B,
/// mathematical alphanumerics, ...) is a surrogate pair whose halves are category <c>Cs</c>, so <c>\p{L}</c> and
/// <c>\p{N}</c> would not match it and the split would differ from Hugging Face's. Walking code points also avoids
/// the regex engine's overhead on the hot path. Each branch below mirrors one alternative, in order, including the
/// effect of the engine's backtracking on greedy quantifiers.
/// </para>
/// <para>
/// <c>\s</c> is Unicode White_Space (what both Oniguruma and .NET use); the case-insensitive contractions accept ASCII
/// letters of either case plus U+017F LATIN SMALL LETTER LONG S, which Unicode case folding maps to <c>s</c>.
/// </para>
/// <para>
/// It is a static class with its own piece enumerator rather than an implementation of some library's pre-tokenizer
/// interface: the encoder walks the pieces of a span directly (<see cref="EnumeratePieces"/>), which allocates nothing,
/// where an <c>IEnumerable</c> of ranges over a span would have to materialise them in a list first.
/// </para>
/// </remarks>
internal static class QwenPreTokenizer
{
    /// <summary>The split pattern exactly as it appears in Qwen2/Qwen2.5/Qwen3 tokenizer.json files.</summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The pieces of <paramref name="text"/> in order, for <c>foreach</c>; nothing is allocated.</summary>
    /// <remarks>Every code point is matched by some alternative, so the pieces tile the whole text.</remarks>
    public static PieceEnumerator EnumeratePieces(ReadOnlySpan<char> text) => new(text);

    /// <summary>Appends the (offset, length) of every piece of <paramref name="text"/> to <paramref name="splits"/>.</summary>
    public static void Split(ReadOnlySpan<char> text, List<(int Offset, int Length)> splits)
    {
        int i = 0;
        while (i < text.Length)
        {
            int end = MatchAt(text, i);
            splits.Add((i, end - i));
            i = end;
        }
    }

    /// <summary>Walks the pieces of a span; see <see cref="EnumeratePieces"/>.</summary>
    public ref struct PieceEnumerator
    {
        private readonly ReadOnlySpan<char> _text;
        private int _start;
        private int _end;

        internal PieceEnumerator(ReadOnlySpan<char> text)
        {
            _text = text;
        }

        /// <summary>The current piece.</summary>
        public readonly ReadOnlySpan<char> Current => _text[_start.._end];

        /// <summary>The enumerator itself, so that the result of <see cref="EnumeratePieces"/> works with <c>foreach</c>.</summary>
        public readonly PieceEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next piece; false at the end of the text.</summary>
        public bool MoveNext()
        {
            if (_end >= _text.Length)
            {
                return false;
            }

            _start = _end;
            _end = MatchAt(_text, _start);
            return true;
        }
    }

    /// <summary>Returns the end (exclusive) of the match that the pattern finds at <paramref name="i"/>.</summary>
    private static int MatchAt(ReadOnlySpan<char> text, int i)
    {
        int n = text.Length;
        char c = text[i];

        // 1. (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (c == '\'' && i + 1 < n)
        {
            char c1 = FoldAscii(text[i + 1]);
            if (c1 is 's' or 't' or 'm' or 'd')
            {
                return i + 2;
            }

            if (i + 2 < n)
            {
                char c2 = FoldAscii(text[i + 2]);
                if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
                {
                    return i + 3;
                }
            }
        }

        CharClass cls = Classify(text, i, out int len);

        // 2. [^\r\n\p{L}\p{N}]?\p{L}+ : an optional non-letter/non-digit/non-newline prefix glued to a letter run.
        if (cls == CharClass.Letter)
        {
            return EndOfRun(text, i, CharClass.Letter);
        }

        if (cls != CharClass.Number && c is not ('\r' or '\n') && i + len < n
            && Classify(text, i + len, out _) == CharClass.Letter)
        {
            return EndOfRun(text, i + len, CharClass.Letter);
        }

        // 3. \p{N} : digits are always split one by one.
        if (cls == CharClass.Number)
        {
            return i + len;
        }

        // 4. ' ?[^\s\p{L}\p{N}]+[\r\n]*' : punctuation/symbol run, optionally after one space, swallowing trailing newlines.
        int start = i;
        if (c == ' ' && i + 1 < n && Classify(text, i + 1, out _) == CharClass.Other)
        {
            start = i + 1;
        }

        if (Classify(text, start, out _) == CharClass.Other)
        {
            int end = EndOfRun(text, start, CharClass.Other);
            while (end < n && text[end] is '\r' or '\n')
            {
                end++;
            }

            return end;
        }

        // Only whitespace is left (letters, digits and "other" returned above).
        int wsEnd = EndOfRun(text, i, CharClass.Whitespace);

        // 5. \s*[\r\n]+ : backtracking makes this end right after the last CR/LF of the whitespace run.
        for (int k = wsEnd - 1; k >= i; k--)
        {
            if (text[k] is '\r' or '\n')
            {
                return k + 1;
            }
        }

        // 6. \s+(?!\S) : the run up to the end of text, or all but its last character (which then prefixes the next word).
        if (wsEnd == n)
        {
            return wsEnd;
        }

        if (wsEnd - i >= 2)
        {
            return wsEnd - 1; // Every White_Space character is in the BMP, so one char is one code point.
        }

        // 7. \s+
        return wsEnd;
    }

    private static char FoldAscii(char c) => c switch
    {
        >= 'A' and <= 'Z' => (char)(c | 0x20),
        '\u017F' => 's',
        _ => c,
    };

    private static int EndOfRun(ReadOnlySpan<char> text, int i, CharClass cls)
    {
        while (i < text.Length && Classify(text, i, out int len) == cls)
        {
            i += len;
        }

        return i;
    }

    /// <summary>Classifies the code point at <paramref name="i"/>; <paramref name="length"/> is its length in chars.</summary>
    private static CharClass Classify(ReadOnlySpan<char> text, int i, out int length)
    {
        char c = text[i];
        if (char.IsAscii(c))
        {
            length = 1;
            return s_asciiClasses[c];
        }

        UnicodeCategory category;
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            length = 2;
            category = Rune.GetUnicodeCategory(new Rune(c, text[i + 1]));
        }
        else
        {
            // A lone surrogate has category Surrogate and so falls into "other", like any unmatched symbol.
            length = 1;
            if (IsWhiteSpace(c))
            {
                return CharClass.Whitespace;
            }

            category = char.GetUnicodeCategory(c);
        }

        return category switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharClass.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharClass.Number,
            _ => CharClass.Other,
        };
    }

    /// <summary>Unicode White_Space (the meaning of <c>\s</c> in Oniguruma and in .NET).</summary>
    private static bool IsWhiteSpace(char c) =>
        c is (>= '\t' and <= '\r') or ' ' or '\u0085' or '\u00A0' or '\u1680' or (>= '\u2000' and <= '\u200A')
            or '\u2028' or '\u2029' or '\u202F' or '\u205F' or '\u3000';

    private static readonly CharClass[] s_asciiClasses = BuildAsciiClasses();

    private static CharClass[] BuildAsciiClasses()
    {
        var classes = new CharClass[128];
        for (int c = 0; c < 128; c++)
        {
            classes[c] = IsWhiteSpace((char)c) ? CharClass.Whitespace
                : char.IsAsciiLetter((char)c) ? CharClass.Letter
                : char.IsAsciiDigit((char)c) ? CharClass.Number
                : CharClass.Other;
        }

        return classes;
    }

    private enum CharClass : byte
    {
        Other,
        Letter,
        Number,
        Whitespace,
    }
}
