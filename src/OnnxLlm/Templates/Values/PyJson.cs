using System.Globalization;
using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Python's <c>json.dumps</c>, byte-for-byte, as used by transformers' <c>tojson</c> filter
/// (<c>json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=False)</c>).
/// </summary>
/// <remarks>
/// Differences from System.Text.Json that matter for prompts: default separators are <c>", "</c> and
/// <c>": "</c>; with an indent the item separator becomes <c>","</c> + newline (and a caller-given separator
/// keeps its trailing space before the newline); floats use Python's repr (<c>1.0</c>, <c>1e-05</c>);
/// non-ASCII text is written as-is; only <c>"</c>, <c>\</c> and control characters are escaped.
/// </remarks>
internal static class PyJson
{
    /// <summary>Serializes <paramref name="value"/> like <c>json.dumps</c>.</summary>
    /// <param name="value">Engine value.</param>
    /// <param name="indent">null for single-line output, an int (spaces) or a string (indent unit).</param>
    /// <param name="itemSeparator">null for the default, otherwise <c>separators[0]</c>.</param>
    /// <param name="keySeparator">null for the default, otherwise <c>separators[1]</c>.</param>
    /// <param name="ensureAscii">Escape every non-ASCII character as <c>\uXXXX</c>.</param>
    /// <param name="sortKeys">Sort object keys.</param>
    public static string Dumps(object? value, object? indent = null, string? itemSeparator = null, string? keySeparator = null, bool ensureAscii = false, bool sortKeys = false)
    {
        string? indentUnit = indent switch
        {
            null => null,
            long n => BuiltinFilters.Spaces(n, "the tojson indent"),
            bool b => new string(' ', b ? 1 : 0),
            string s => s,
            _ => throw new TemplateError($"indent must be None, an int or a str, not {PyOps.TypeName(indent)}"),
        };
        var writer = new Writer(indentUnit, itemSeparator ?? (indentUnit is null ? ", " : ","), keySeparator ?? ": ", ensureAscii, sortKeys);
        writer.Write(value, 0);
        return writer.Result;
    }

    private sealed class Writer(string? indentUnit, string itemSeparator, string keySeparator, bool ensureAscii, bool sortKeys)
    {
        private readonly StringBuilder _sb = new();

        public string Result => _sb.ToString();

        private void NewLine(int level)
        {
            _sb.Append('\n');
            for (int i = 0; i < level; i++) _sb.Append(indentUnit);
        }

        public void Write(object? value, int level)
        {
            switch (value)
            {
                case null: _sb.Append("null"); break;
                case bool b: _sb.Append(b ? "true" : "false"); break;
                case long l: _sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
                case double d: _sb.Append(Float(d)); break;
                case string s: WriteString(s); break;
                case List<object?> list: WriteArray(list, level); break;
                case PyTuple t: WriteArray(t.Items, level); break;
                case PyDict dict: WriteObject(dict, level); break;
                default: throw new TemplateError($"Object of type {PyOps.TypeName(value)} is not JSON serializable");
            }
        }

        private static string Float(double d)
            => double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyRepr.FloatRepr(d);

        private void WriteArray(IReadOnlyList<object?> items, int level)
        {
            if (items.Count == 0)
            {
                _sb.Append("[]");
                return;
            }

            _sb.Append('[');
            if (indentUnit is not null) NewLine(level + 1);
            for (int i = 0; i < items.Count; i++)
            {
                if (i > 0)
                {
                    _sb.Append(itemSeparator);
                    if (indentUnit is not null) NewLine(level + 1);
                }

                Write(items[i], level + 1);
            }

            if (indentUnit is not null) NewLine(level);
            _sb.Append(']');
        }

        private void WriteObject(PyDict dict, int level)
        {
            if (dict.Count == 0)
            {
                _sb.Append("{}");
                return;
            }

            IEnumerable<KeyValuePair<object?, object?>> items = dict.Items;
            if (sortKeys)
            {
                var source = items;
                items = PyOps.RunSort(() => source.OrderBy(kv => kv.Key, Comparer<object?>.Create((a, b) => PyOps.Compare(a, b))).ToList());
            }
            _sb.Append('{');
            if (indentUnit is not null) NewLine(level + 1);
            bool first = true;
            foreach (var (key, val) in items)
            {
                if (!first)
                {
                    _sb.Append(itemSeparator);
                    if (indentUnit is not null) NewLine(level + 1);
                }

                first = false;
                WriteString(key switch
                {
                    string s => s,
                    bool b => b ? "true" : "false",
                    null => "null",
                    long l => l.ToString(CultureInfo.InvariantCulture),
                    double d => Float(d),
                    _ => throw new TemplateError($"keys must be str, int, float, bool or None, not {PyOps.TypeName(key)}"),
                });
                _sb.Append(keySeparator);
                Write(val, level + 1);
            }

            if (indentUnit is not null) NewLine(level);
            _sb.Append('}');
        }

        private void WriteString(string s)
        {
            _sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': _sb.Append("\\\""); break;
                    case '\\': _sb.Append("\\\\"); break;
                    case '\n': _sb.Append("\\n"); break;
                    case '\r': _sb.Append("\\r"); break;
                    case '\t': _sb.Append("\\t"); break;
                    case '\b': _sb.Append("\\b"); break;
                    case '\f': _sb.Append("\\f"); break;
                    default:
                        if (c < 0x20 || (ensureAscii && c > 0x7E))
                        {
                            _sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            _sb.Append(c);
                        }

                        break;
                }
            }

            _sb.Append('"');
        }
    }
}
