using System.Globalization;
using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Python <c>str</c> semantics that differ from .NET's: whitespace set, strip/split rules, code-point indexing
/// (Python strings index by code point, .NET by UTF-16 unit), and case mapping helpers.
/// </summary>
internal static class PyText
{
    /// <summary>Python's <c>str.isspace()</c> per character: .NET's set plus the \x1c-\x1f separators.</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    /// <summary><c>str.strip(chars)</c>; null chars means whitespace.</summary>
    public static string Strip(string s, string? chars) => RStrip(LStrip(s, chars), chars);

    /// <summary><c>str.lstrip(chars)</c></summary>
    public static string LStrip(string s, string? chars)
    {
        int i = 0;
        while (i < s.Length && (chars is null ? IsSpace(s[i]) : chars.Contains(s[i]))) i++;
        return s[i..];
    }

    /// <summary><c>str.rstrip(chars)</c></summary>
    public static string RStrip(string s, string? chars)
    {
        int i = s.Length;
        while (i > 0 && (chars is null ? IsSpace(s[i - 1]) : chars.Contains(s[i - 1]))) i--;
        return s[..i];
    }

    /// <summary><c>str.split(sep, maxsplit)</c> with Python's two modes (whitespace runs vs exact separator).</summary>
    public static List<object?> Split(string s, string? sep, long maxsplit)
    {
        var result = new List<object?>();
        if (sep is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxsplit >= 0 && result.Count >= maxsplit)
                {
                    result.Add(RStrip(s[i..], null));
                    break;
                }

                int start = i;
                while (i < s.Length && !IsSpace(s[i])) i++;
                result.Add(s[start..i]);
            }

            return result;
        }

        if (sep.Length == 0) throw new TemplateError("empty separator");
        int pos = 0;
        while (maxsplit < 0 || result.Count < maxsplit)
        {
            int idx = s.IndexOf(sep, pos, StringComparison.Ordinal);
            if (idx < 0) break;
            result.Add(s[pos..idx]);
            pos = idx + sep.Length;
        }

        result.Add(s[pos..]);
        return result;
    }

    /// <summary>True when the string has surrogate pairs, i.e. code-point and UTF-16 indexing differ.</summary>
    private static bool HasSurrogates(string s)
    {
        foreach (char c in s)
        {
            if (char.IsSurrogate(c)) return true;
        }

        return false;
    }

    /// <summary>The string's code points as one-element strings (Python iteration and indexing unit).</summary>
    public static List<string> CodePoints(string s)
    {
        var list = new List<string>(s.Length);
        if (!HasSurrogates(s))
        {
            foreach (char c in s) list.Add(c.ToString());
            return list;
        }

        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                list.Add(s.Substring(i, 2));
                i++;
            }
            else
            {
                list.Add(s[i].ToString());
            }
        }

        return list;
    }

    /// <summary>Python <c>len(str)</c>: number of code points.</summary>
    public static int Length(string s)
    {
        if (!HasSurrogates(s)) return s.Length;
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            n++;
        }

        return n;
    }

    /// <summary>Python <c>str.upper()</c> (invariant culture, never locale-dependent).</summary>
    public static string Upper(string s) => s.ToUpperInvariant();

    /// <summary>Python <c>str.lower()</c></summary>
    public static string Lower(string s) => s.ToLowerInvariant();

    /// <summary>Python <c>str.capitalize()</c>: first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string s)
        => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    private static bool IsCased(char c)
    {
        var cat = CharUnicodeInfo.GetUnicodeCategory(c);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter;
    }

    /// <summary>Python <c>str.title()</c>: a cased character is upper-cased when it follows an uncased one.</summary>
    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool prevCased = false;
        foreach (char c in s)
        {
            if (IsCased(c))
            {
                sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
                prevCased = true;
            }
            else
            {
                sb.Append(c);
                prevCased = false;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Jinja2's <c>title</c> filter, which differs from <c>str.title()</c>: words start after whitespace,
    /// <c>-</c>, <c>(</c>, <c>{</c>, <c>[</c> or <c>&lt;</c>; each word's first character is upper-cased, the rest lower-cased.
    /// </summary>
    public static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool sep = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            if (sep)
            {
                sb.Append(c);
                wordStart = true;
            }
            else
            {
                sb.Append(wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
                wordStart = false;
            }
        }

        return sb.ToString();
    }

    /// <summary>Python <c>str.splitlines()</c> (without keepends).</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }

        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Compares by Unicode code point, as Python orders strings (ordinal UTF-16 differs above U+FFFF).</summary>
    public static int CompareCodePoints(string a, string b)
    {
        int i = 0;
        int j = 0;
        while (i < a.Length && j < b.Length)
        {
            int ca = NextCodePoint(a, ref i);
            int cb = NextCodePoint(b, ref j);
            if (ca != cb) return ca < cb ? -1 : 1;
        }

        return (a.Length - i).CompareTo(b.Length - j);
    }

    private static int NextCodePoint(string s, ref int i)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            int cp = char.ConvertToUtf32(s[i], s[i + 1]);
            i += 2;
            return cp;
        }

        return s[i++];
    }
}
