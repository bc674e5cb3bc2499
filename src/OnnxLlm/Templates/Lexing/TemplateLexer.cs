using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace OnnxLlm.Templates;

/// <summary>
/// Splits a template into tokens with Jinja2 3.1's lexer semantics for the environment transformers uses
/// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>, <c>keep_trailing_newline=False</c>).
/// </summary>
/// <remarks>
/// Whitespace control is resolved here, as in Jinja2, so the parser only sees final text:
/// <list type="bullet">
/// <item><c>{%-</c>, <c>{{-</c>, <c>{#-</c> strip all whitespace (newlines included) before the tag;
/// <c>-%}</c>, <c>-}}</c>, <c>-#}</c> strip all whitespace after it.</item>
/// <item>lstrip_blocks: spaces/tabs between a line start and a <c>{%</c> or <c>{#</c> tag are removed (never for
/// <c>{{</c>); <c>{%+</c> disables it.</item>
/// <item>trim_blocks: a single newline right after <c>%}</c> or <c>#}</c> is removed (never after <c>}}</c>);
/// <c>+%}</c> disables it. As in Jinja2, the <c>{% raw %}</c> opening tag does not trim.</item>
/// </list>
/// </remarks>
internal sealed class TemplateLexer
{
    private static readonly Regex RawBegin = new(@"\G\{%([-+]?)\s*raw\s*(-%\}\s*|%\})", RegexOptions.CultureInvariant);
    private static readonly Regex RawEnd = new(@"\{%([-+]?)\s*endraw\s*(\+%\}|-%\}\s*|%\}\n?)", RegexOptions.CultureInvariant);

    private static readonly string[] Operators =
    [
        "//", "**", "==", "!=", ">=", "<=",
        "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";",
    ];

    private readonly string _src;
    private readonly List<int> _lineStarts = [0];
    private readonly List<Token> _tokens = [];

    private TemplateLexer(string source)
    {
        _src = Normalize(source);
        for (int i = 0; i < _src.Length; i++)
        {
            if (_src[i] == '\n') _lineStarts.Add(i + 1);
        }
    }

    /// <summary>Tokenizes <paramref name="source"/>; throws <see cref="ChatTemplateException"/> on lexical errors.</summary>
    public static List<Token> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    /// <summary>
    /// Jinja2 normalizes every newline sequence to <c>\n</c> and, with keep_trailing_newline=False, drops a single
    /// trailing newline of the source.
    /// </summary>
    private static string Normalize(string source)
    {
        string s = source.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return s.EndsWith('\n') ? s[..^1] : s;
    }

    private (int Line, int Column) Position(int offset)
    {
        int idx = _lineStarts.BinarySearch(offset);
        if (idx < 0) idx = ~idx - 1;
        return (idx + 1, offset - _lineStarts[idx] + 1);
    }

    private ChatTemplateException Error(string message, int offset)
    {
        var (line, col) = Position(offset);
        return new ChatTemplateException(message, line, col);
    }

    private void Emit(TokenKind kind, string value, int offset)
    {
        var (line, col) = Position(offset);
        _tokens.Add(new Token(kind, value, line, col));
    }

    private void Run()
    {
        int pos = 0;
        bool lineStarting = true; // Jinja2: true at the start and after any token match ending in '\n'
        while (pos < _src.Length)
        {
            int tag = FindTagStart(pos);
            if (tag < 0)
            {
                Emit(TokenKind.Data, _src[pos..], pos);
                break;
            }

            char kind = _src[tag + 1];
            char sign = tag + 2 < _src.Length && (_src[tag + 2] == '-' || _src[tag + 2] == '+') ? _src[tag + 2] : '\0';
            string text = ApplyLeftStrip(_src[pos..tag], sign, isVariable: kind == '{', lineStarting);
            if (text.Length > 0) Emit(TokenKind.Data, text, pos);

            if (kind == '#')
            {
                pos = SkipComment(tag, sign);
            }
            else if (kind == '%' && RawBegin.Match(_src, tag) is { Success: true } raw)
            {
                pos = LexRaw(tag, raw);
            }
            else
            {
                pos = LexTag(tag, kind == '{', sign != '\0' ? tag + 3 : tag + 2);
            }

            lineStarting = pos > 0 && _src[pos - 1] == '\n';
        }

        Emit(TokenKind.Eof, "", _src.Length);
    }

    private int FindTagStart(int from)
    {
        int i = from;
        while (true)
        {
            i = _src.IndexOf('{', i);
            if (i < 0 || i + 1 >= _src.Length) return -1;
            char c = _src[i + 1];
            if (c == '{' || c == '%' || c == '#') return i;
            i++;
        }
    }

    /// <summary>Whitespace control applied to the text that precedes a tag (Jinja2's root-state rule).</summary>
    private static string ApplyLeftStrip(string text, char sign, bool isVariable, bool lineStarting)
    {
        if (sign == '-') return PyText.RStrip(text, null);
        if (sign == '+' || isVariable) return text;
        int lpos = text.LastIndexOf('\n') + 1;
        if (lpos > 0 || lineStarting)
        {
            for (int i = lpos; i < text.Length; i++)
            {
                if (text[i] != ' ' && text[i] != '\t') return text;
            }

            return text[..lpos];
        }

        return text;
    }

    private int SkipComment(int tag, char sign)
    {
        int bodyStart = tag + (sign != '\0' ? 3 : 2);
        int end = _src.IndexOf("#}", bodyStart, StringComparison.Ordinal);
        if (end < 0) throw Error("Missing end of comment tag", tag);
        if (end > bodyStart && _src[end - 1] == '-') return SkipWhitespace(end + 2);
        if (end > bodyStart && _src[end - 1] == '+') return end + 2;
        int after = end + 2;
        return after < _src.Length && _src[after] == '\n' ? after + 1 : after; // trim_blocks
    }

    private int LexRaw(int tag, Match begin)
    {
        int bodyStart = tag + begin.Length;
        Match end = RawEnd.Match(_src, bodyStart);
        if (!end.Success) throw Error("Missing end of raw directive ('{% endraw %}')", tag);
        char sign = end.Groups[1].Value.Length > 0 ? end.Groups[1].Value[0] : '\0';
        // The text inside raw gets the same left-strip rule relative to the endraw tag.
        bool lineStarting = bodyStart > 0 && _src[bodyStart - 1] == '\n';
        string text = ApplyLeftStrip(_src[bodyStart..end.Index], sign, isVariable: false, lineStarting);
        if (text.Length > 0) Emit(TokenKind.Data, text, bodyStart);
        return end.Index + end.Length;
    }

    private int SkipWhitespace(int i)
    {
        while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
        return i;
    }

    /// <summary>Lexes the inside of <c>{{ }}</c> or <c>{% %}</c> up to the closing delimiter at bracket depth 0.</summary>
    private int LexTag(int tag, bool isVariable, int pos)
    {
        Emit(isVariable ? TokenKind.VariableBegin : TokenKind.BlockBegin, isVariable ? "{{" : "{%", tag);
        int depth = 0;
        while (true)
        {
            pos = SkipWhitespace(pos);
            if (pos >= _src.Length)
            {
                throw Error(isVariable ? "Unexpected end of template, expected '}}'" : "Unexpected end of template, expected '%}'", tag);
            }

            if (depth == 0 && TryLexEnd(isVariable, ref pos)) return pos;

            char c = _src[pos];
            if (char.IsAsciiLetter(c) || c == '_' || (c > 127 && char.IsLetter(c)))
            {
                int start = pos;
                while (pos < _src.Length && (char.IsAsciiLetterOrDigit(_src[pos]) || _src[pos] == '_' || (_src[pos] > 127 && char.IsLetterOrDigit(_src[pos])))) pos++;
                Emit(TokenKind.Name, _src[start..pos], start);
            }
            else if (char.IsAsciiDigit(c))
            {
                pos = LexNumber(pos);
            }
            else if (c == '\'' || c == '"')
            {
                pos = LexString(pos);
            }
            else
            {
                string? op = null;
                foreach (string candidate in Operators)
                {
                    if (string.CompareOrdinal(_src, pos, candidate, 0, candidate.Length) == 0)
                    {
                        op = candidate;
                        break;
                    }
                }

                if (op is null) throw Error($"Unexpected character '{c}'", pos);
                if (op is "(" or "[" or "{") depth++;
                else if (op is ")" or "]" or "}")
                {
                    if (depth == 0) throw Error($"Unexpected '{op}'", pos);
                    depth--;
                }

                Emit(TokenKind.Operator, op, pos);
                pos += op.Length;
            }
        }
    }

    private bool TryLexEnd(bool isVariable, ref int pos)
    {
        string close = isVariable ? "}}" : "%}";
        int start = pos;
        if (_src[pos] == '-' && string.CompareOrdinal(_src, pos + 1, close, 0, 2) == 0)
        {
            Emit(isVariable ? TokenKind.VariableEnd : TokenKind.BlockEnd, close, start);
            pos = SkipWhitespace(pos + 3);
            return true;
        }

        if (!isVariable && _src[pos] == '+' && string.CompareOrdinal(_src, pos + 1, close, 0, 2) == 0)
        {
            Emit(TokenKind.BlockEnd, close, start);
            pos += 3;
            return true;
        }

        if (string.CompareOrdinal(_src, pos, close, 0, 2) == 0)
        {
            Emit(isVariable ? TokenKind.VariableEnd : TokenKind.BlockEnd, close, start);
            pos += 2;
            if (!isVariable && pos < _src.Length && _src[pos] == '\n') pos++; // trim_blocks
            return true;
        }

        return false;
    }

    private int LexNumber(int pos)
    {
        int start = pos;
        if (_src[pos] == '0' && pos + 1 < _src.Length && "bBoOxX".Contains(_src[pos + 1]))
        {
            int radix = char.ToLowerInvariant(_src[pos + 1]) switch { 'b' => 2, 'o' => 8, _ => 16 };
            pos += 2;
            int digitsStart = pos;
            while (pos < _src.Length && (Uri.IsHexDigit(_src[pos]) || _src[pos] == '_')) pos++;
            string digits = _src[digitsStart..pos].Replace("_", "", StringComparison.Ordinal);
            try
            {
                long value = Convert.ToInt64(digits, radix);
                Emit(TokenKind.Integer, value.ToString(CultureInfo.InvariantCulture), start);
            }
            catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
            {
                throw Error($"Invalid integer literal '{_src[start..pos]}'", start);
            }

            return pos;
        }

        pos = SkipDigits(pos);
        bool isFloat = false;
        if (pos + 1 < _src.Length && _src[pos] == '.' && char.IsAsciiDigit(_src[pos + 1]))
        {
            isFloat = true;
            pos = SkipDigits(pos + 1);
        }

        if (pos < _src.Length && (_src[pos] == 'e' || _src[pos] == 'E'))
        {
            int e = pos + 1;
            if (e < _src.Length && (_src[e] == '+' || _src[e] == '-')) e++;
            if (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                isFloat = true;
                pos = SkipDigits(e);
            }
        }

        string text = _src[start..pos].Replace("_", "", StringComparison.Ordinal);
        if (!isFloat && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw Error($"Integer literal '{text}' is too large", start);
        }

        Emit(isFloat ? TokenKind.Float : TokenKind.Integer, text, start);
        return pos;
    }

    private int SkipDigits(int pos)
    {
        while (pos < _src.Length && (char.IsAsciiDigit(_src[pos]) || (_src[pos] == '_' && pos + 1 < _src.Length && char.IsAsciiDigit(_src[pos + 1])))) pos++;
        return pos;
    }

    /// <summary>Decodes a string literal with Python's <c>unicode-escape</c> rules, as Jinja2 does.</summary>
    private int LexString(int pos)
    {
        char quote = _src[pos];
        int start = pos;
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= _src.Length) throw Error("Unterminated string literal", start);
            char c = _src[pos];
            if (c == quote)
            {
                pos++;
                break;
            }

            if (c != '\\')
            {
                sb.Append(c);
                pos++;
                continue;
            }

            if (pos + 1 >= _src.Length) throw Error("Unterminated string literal", start);
            char e = _src[pos + 1];
            pos += 2;
            switch (e)
            {
                case '\n': break; // line continuation
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': pos = AppendHexEscape(sb, pos, 2, start); break;
                case 'u': pos = AppendHexEscape(sb, pos, 4, start); break;
                case 'U': pos = AppendHexEscape(sb, pos, 8, start); break;
                case 'N': throw Error("Unsupported string escape '\\N{...}'", pos - 2);
                case >= '0' and <= '7':
                {
                    int value = e - '0';
                    for (int k = 0; k < 2 && pos < _src.Length && _src[pos] is >= '0' and <= '7'; k++, pos++)
                    {
                        value = (value * 8) + (_src[pos] - '0');
                    }

                    sb.Append((char)value);
                    break;
                }

                default:
                    // Python keeps unknown escapes verbatim ("\d" stays backslash + d).
                    sb.Append('\\').Append(e);
                    break;
            }
        }

        Emit(TokenKind.String, sb.ToString(), start);
        return pos;
    }

    private int AppendHexEscape(StringBuilder sb, int pos, int digits, int literalStart)
    {
        if (pos + digits > _src.Length || !int.TryParse(_src.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int cp) || cp > 0x10FFFF)
        {
            throw Error("Invalid escape sequence in string literal", literalStart);
        }

        // Python lets lone surrogates through; char.ConvertFromUtf32 would throw on them.
        sb.Append(cp is >= 0xD800 and <= 0xDFFF ? ((char)cp).ToString() : char.ConvertFromUtf32(cp));
        return pos + digits;
    }
}
