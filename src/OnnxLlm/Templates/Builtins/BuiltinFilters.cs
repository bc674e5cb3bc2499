using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace OnnxLlm.Templates;

/// <summary>A filter: <c>value | name(args)</c>.</summary>
internal delegate object? FilterFunction(object? value, CallArguments args, TemplateRenderer renderer);

/// <summary>
/// The Jinja2 3.1 built-in filters that chat templates use, with Jinja2's argument names and defaults, plus
/// transformers' <c>tojson</c> override. Filters not listed here are rejected when the template is parsed.
/// </summary>
internal static class BuiltinFilters
{
    private static readonly Regex WordRegex = new(@"\w+", RegexOptions.CultureInvariant);

    private static readonly Dictionary<string, FilterFunction> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = Abs,
        ["attr"] = Attr,
        ["capitalize"] = (v, a, _) => { a.Bind("capitalize"); return PyText.Capitalize(PyRepr.Str(v)); },
        ["count"] = Length,
        ["d"] = Default,
        ["default"] = Default,
        ["dictsort"] = DictSort,
        ["e"] = Escape,
        ["escape"] = Escape,
        ["first"] = First,
        ["float"] = ToFloat,
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = Items,
        ["join"] = Join,
        ["last"] = Last,
        ["length"] = Length,
        ["list"] = (v, a, _) => { a.Bind("list"); return PyOps.Iterate(v); },
        ["lower"] = (v, a, _) => { a.Bind("lower"); return PyText.Lower(PyRepr.Str(v)); },
        ["map"] = Map,
        ["max"] = (v, a, r) => MinMax(v, a, r, "max"),
        ["min"] = (v, a, r) => MinMax(v, a, r, "min"),
        ["reject"] = (v, a, r) => Select(v, a, r, "reject", byAttribute: false, keep: false),
        ["rejectattr"] = (v, a, r) => Select(v, a, r, "rejectattr", byAttribute: true, keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["round"] = Round,
        ["safe"] = (v, a, _) => { a.Bind("safe"); return PyRepr.Str(v); },
        ["select"] = (v, a, r) => Select(v, a, r, "select", byAttribute: false, keep: true),
        ["selectattr"] = (v, a, r) => Select(v, a, r, "selectattr", byAttribute: true, keep: true),
        ["sort"] = Sort,
        ["string"] = (v, a, _) => { a.Bind("string"); return PyRepr.Str(v); },
        ["sum"] = Sum,
        ["title"] = (v, a, _) => { a.Bind("title"); return PyText.JinjaTitle(PyRepr.Str(v)); },
        ["tojson"] = ToJson,
        ["trim"] = (v, a, _) => PyText.Strip(PyRepr.Str(v), a.Bind("trim", ("chars", null))[0] is { } c ? Str(c) : null),
        ["unique"] = Unique,
        ["upper"] = (v, a, _) => { a.Bind("upper"); return PyText.Upper(PyRepr.Str(v)); },
        ["wordcount"] = (v, a, _) => { a.Bind("wordcount"); return (long)WordRegex.Matches(PyRepr.Str(v)).Count; },
    };

    /// <summary>Looks up a filter by name.</summary>
    public static bool TryGet(string name, out FilterFunction filter) => Filters.TryGetValue(name, out filter!);

    private static string Str(object? v) => PyRepr.Str(v);

    private static object? Abs(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("abs");
        return v switch
        {
            long l => l == long.MinValue ? throw new TemplateError("integer result too large") : (object)Math.Abs(l),
            bool b => b ? 1L : 0L,
            double d => Math.Abs(d),
            Undefined u => throw u.Fail(),
            _ => throw new TemplateError($"bad operand type for abs(): '{PyOps.TypeName(v)}'"),
        };
    }

    /// <summary>Jinja2's <c>attr</c>: Python getattr only — unlike <c>obj.name</c> it never falls back to items.</summary>
    private static object? Attr(object? v, CallArguments a, TemplateRenderer r)
    {
        string name = Str(a.Bind("attr", ("name", CallArguments.Required))[0]);
        return v switch
        {
            JinjaNamespace or LoopContext => PyOps.GetAttr(v, name),
            _ when BuiltinMethods.TryGetMethod(v, name, out JinjaCallable? method) => method,
            _ => Undefined.ForMember(v, name),
        };
    }

    private static object? Default(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("default", ("default_value", ""), ("boolean", false));
        return v is Undefined || (PyOps.IsTruthy(p[1]) && !PyOps.IsTruthy(v)) ? p[0] : v;
    }

    private static object? Escape(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("escape");
        // markupsafe.escape: the five HTML-special characters, with numeric entities for the quotes.
        return Str(v).Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal)
            .Replace("'", "&#39;", StringComparison.Ordinal);
    }

    private static object? First(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("first");
        var items = PyOps.Iterate(v);
        return items.Count > 0 ? items[0] : Undefined.ForName("first item");
    }

    private static object? Last(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("last");
        if (v is PyIterator) throw new TemplateError("'generator' object is not reversible");
        var items = PyOps.Iterate(v);
        return items.Count > 0 ? items[^1] : Undefined.ForName("last item");
    }

    private static object? Length(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("length");
        return PyOps.Length(v);
    }

    private static object? Items(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("items");
        if (v is Undefined) return new PyIterator([]);
        if (v is not PyDict d) throw new TemplateError("Can only get item pairs from a mapping.");
        return new PyIterator(d.Items.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList());
    }

    private static object? Join(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("join", ("d", ""), ("attribute", null));
        var items = PyOps.Iterate(v);
        if (p[1] is not null) items = items.ConvertAll(i => GetPath(i, p[1]));
        return LimitedJoin(Str(p[0]), items.Select(Str).ToList());
    }

    /// <summary>string.Join, refused before building when the result would exceed <see cref="TemplateLimits.MaxLength"/>.</summary>
    internal static string LimitedJoin(string separator, List<string> parts)
    {
        long length = (long)separator.Length * Math.Max(0, parts.Count - 1);
        foreach (string part in parts) length += part.Length;
        TemplateLimits.CheckLength(length, "a joined string");
        return string.Join(separator, parts);
    }

    /// <summary>n spaces (none for n ≤ 0), refused beyond <see cref="TemplateLimits.MaxLength"/>.</summary>
    internal static string Spaces(long n, string what)
    {
        TemplateLimits.CheckLength(n, what);
        return new string(' ', (int)Math.Max(0, n));
    }

    private static object? ToInt(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("int", ("default", 0L), ("base", 10L));
        if (v is Undefined u) throw u.Fail();
        switch (v)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d:
                if (double.IsNaN(d) || double.IsInfinity(d)) throw new TemplateError("cannot convert float NaN or infinity to integer");
                return (long)Math.Truncate(d);
            case string s:
            {
                string t = PyText.Strip(s, null).Replace("_", "", StringComparison.Ordinal);
                long radix = p[1] is long lb ? lb : 10;
                if (radix == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)) return parsed;
                if (radix is 2 or 8 or 16)
                {
                    try
                    {
                        return Convert.ToInt64(t, (int)radix);
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
                    {
                    }
                }

                return TryParseFloat(s, out double f) && !double.IsNaN(f) && !double.IsInfinity(f) ? (long)Math.Truncate(f) : p[0];
            }

            default:
                return p[0];
        }
    }

    private static object? ToFloat(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("float", ("default", 0.0));
        return v switch
        {
            Undefined u => throw u.Fail(),
            long l => (double)l,
            bool b => b ? 1.0 : 0.0,
            double d => d,
            string s when TryParseFloat(s, out double f) => f,
            _ => p[0],
        };
    }

    /// <summary>Python <c>float(str)</c>: surrounding whitespace, underscores between digits, inf/nan words.</summary>
    private static bool TryParseFloat(string s, out double value)
    {
        string t = PyText.Strip(s, null).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();
        string unsigned = t.TrimStart('+', '-');
        bool negative = t.StartsWith('-');
        if (unsigned is "inf" or "infinity")
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return t.Length - unsigned.Length <= 1;
        }

        if (unsigned == "nan")
        {
            value = double.NaN;
            return t.Length - unsigned.Length <= 1;
        }

        return double.TryParse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);
    }

    private static object? Indent(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("indent", ("width", 4L), ("first", false), ("blank", false));
        string indention = p[0] switch
        {
            string s => s,
            long n => Spaces(n, "the indent width"),
            _ => throw new TemplateError("indent width must be an int or a str"),
        };
        // Jinja2 appends a newline first so that a trailing newline in the input is preserved after splitlines().
        var lines = PyText.SplitLines(Str(v) + "\n");
        // Every line gains the indent: bound the result before building it.
        TemplateLimits.CheckLength(Str(v).Length + (long)lines.Count * indention.Length, "the indented text");
        string rv;
        if (PyOps.IsTruthy(p[2]))
        {
            rv = string.Join("\n" + indention, lines);
        }
        else
        {
            var sb = new StringBuilder(lines.Count > 0 ? lines[0] : "");
            for (int i = 1; i < lines.Count; i++)
            {
                sb.Append('\n');
                if (lines[i].Length > 0) sb.Append(indention);
                sb.Append(lines[i]);
            }

            rv = sb.ToString();
        }

        return PyOps.IsTruthy(p[1]) ? indention + rv : rv;
    }

    private static object? Map(object? v, CallArguments a, TemplateRenderer r)
    {
        var items = PyOps.Iterate(v);
        if (a.Positional.Count == 0 && a.Named.Exists(kv => kv.Key == "attribute"))
        {
            var p = a.Bind("map", ("attribute", CallArguments.Required), ("default", Undefined.Instance));
            return new PyIterator(items.ConvertAll(i =>
            {
                object? val = GetPath(i, p[0]);
                return val is Undefined && p[1] is not Undefined ? p[1] : val;
            }));
        }

        if (a.Positional.Count == 0) throw new TemplateError("map requires a filter argument");
        string name = a.Positional[0] as string ?? throw new TemplateError("map filter name must be a string");
        if (!TryGet(name, out FilterFunction filter)) throw new TemplateError($"No filter named '{name}'");
        var rest = new CallArguments(a.Positional.GetRange(1, a.Positional.Count - 1), a.Named);
        return new PyIterator(items.ConvertAll(i => filter(i, rest, r)));
    }

    private static object? Select(object? v, CallArguments a, TemplateRenderer r, string fn, bool byAttribute, bool keep)
    {
        var items = PyOps.Iterate(v);
        int offset = 0;
        object? attribute = null;
        if (byAttribute)
        {
            if (a.Positional.Count == 0) throw new TemplateError($"{fn}() missing required argument 'attribute'");
            attribute = a.Positional[0];
            offset = 1;
        }

        Func<object?, bool> predicate;
        if (a.Positional.Count <= offset)
        {
            if (a.Named.Count > 0) throw new TemplateError($"{fn}() got unexpected keyword arguments");
            predicate = PyOps.IsTruthy;
        }
        else
        {
            string name = a.Positional[offset] as string ?? throw new TemplateError($"{fn}() test name must be a string");
            if (!BuiltinTests.TryGet(name, out TestFunction test)) throw new TemplateError($"No test named '{name}'");
            var rest = new CallArguments(a.Positional.GetRange(offset + 1, a.Positional.Count - offset - 1), a.Named);
            predicate = x => test(x, rest, r);
        }

        return new PyIterator(items.Where(i => predicate(byAttribute ? GetPath(i, attribute) : i) == keep).ToList());
    }

    private static object? Replace(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("replace", ("old", CallArguments.Required), ("new", CallArguments.Required), ("count", null));
        long count = p[2] switch { null => -1, long l => l, bool b => b ? 1 : 0, _ => throw new TemplateError("replace count must be an int") };
        return BuiltinMethods.Replace(Str(v), Str(p[0]), Str(p[1]), count);
    }

    private static object? Reverse(object? v, CallArguments a, TemplateRenderer r)
    {
        a.Bind("reverse");
        if (v is string s)
        {
            var cps = PyText.CodePoints(s);
            cps.Reverse();
            return string.Concat(cps);
        }

        if (v is PyIterator it)
        {
            var list = it.Consume();
            list.Reverse();
            return list;
        }

        var items = PyOps.Iterate(v);
        items.Reverse();
        return new PyIterator(items);
    }

    private static object? Round(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("round", ("precision", 0L), ("method", "common"));
        long precision = p[0] is long l ? l : throw new TemplateError("round precision must be an int");
        string method = p[1] as string ?? "";
        if (v is Undefined u) throw u.Fail();
        if (!PyOps.IsNumber(v)) throw new TemplateError($"type {PyOps.TypeName(v)} doesn't define __round__ method");
        switch (method)
        {
            case "common":
                if (v is long or bool) return RoundInt(v is bool b ? (b ? 1L : 0L) : (long)v, precision);
                return RoundHalfEven((double)v!, (int)precision);
            case "ceil":
            case "floor":
            {
                double scale = Math.Pow(10, precision);
                double x = PyOps.AsDouble(v) * scale;
                return (method == "ceil" ? Math.Ceiling(x) : Math.Floor(x)) / scale;
            }

            default:
                throw new TemplateError("method must be common, ceil or floor");
        }
    }

    private static long RoundInt(long value, long precision)
    {
        if (precision >= 0) return value;
        var pow = BigInteger.Pow(10, (int)Math.Min(-precision, 30));
        BigInteger q = BigInteger.DivRem(value, pow, out BigInteger rem);
        if (rem < 0)
        {
            q -= 1;
            rem += pow;
        }

        int cmp = (rem * 2).CompareTo(pow);
        if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        return (long)(q * pow);
    }

    /// <summary>
    /// Python <c>round(float, n)</c>: round-half-even on the exact binary value (so <c>round(2.675, 2)</c> is 2.67),
    /// computed exactly with big integers, then converted back with correct rounding.
    /// </summary>
    private static double RoundHalfEven(double d, int n)
    {
        if (double.IsNaN(d) || double.IsInfinity(d) || d == 0) return d;
        long bits = BitConverter.DoubleToInt64Bits(d);
        bool negative = bits < 0;
        int exp = (int)((bits >> 52) & 0x7FF);
        long frac = bits & 0xFFFFFFFFFFFFFL;
        BigInteger m = exp == 0 ? frac : frac | (1L << 52);
        int e = exp == 0 ? -1074 : exp - 1075; // |d| = m * 2^e
        n = Math.Clamp(n, -400, 400);
        BigInteger num = m * BigInteger.Pow(2, Math.Max(e, 0)) * BigInteger.Pow(10, Math.Max(n, 0));
        BigInteger den = BigInteger.Pow(2, Math.Max(-e, 0)) * BigInteger.Pow(10, Math.Max(-n, 0));
        BigInteger q = BigInteger.DivRem(num, den, out BigInteger rem);
        int cmp = (rem * 2).CompareTo(den);
        if (cmp > 0 || (cmp == 0 && !q.IsEven)) q += 1;
        double result = double.Parse($"{q}E{-n}", NumberStyles.Float, CultureInfo.InvariantCulture);
        return negative ? -result : result;
    }

    private static object? Sort(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("sort", ("reverse", false), ("case_sensitive", false), ("attribute", null));
        var items = PyOps.Iterate(v);
        bool caseSensitive = PyOps.IsTruthy(p[1]);
        var keyed = items.ConvertAll(i => (Key: SortKey(p[2] is null ? i : GetPath(i, p[2]), caseSensitive), Item: i));
        var comparer = Comparer<object?>.Create((x, y) => PyOps.Compare(x, y));
        var sorted = PyOps.IsTruthy(p[0]) ? keyed.OrderByDescending(k => k.Key, comparer) : keyed.OrderBy(k => k.Key, comparer);
        return PyOps.RunSort(() => sorted.Select(k => k.Item).ToList());
    }

    private static object? SortKey(object? v, bool caseSensitive) => !caseSensitive && v is string s ? PyText.Lower(s) : v;

    private static object? DictSort(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("dictsort", ("case_sensitive", false), ("by", "key"), ("reverse", false));
        if (v is not PyDict d) throw new TemplateError("You can only sort by either \"key\" or \"value\" of a mapping");
        int pos = p[1] switch
        {
            "key" => 0,
            "value" => 1,
            _ => throw new TemplateError("You can only sort by either \"key\" or \"value\""),
        };
        bool caseSensitive = PyOps.IsTruthy(p[0]);
        var pairs = d.Items.Select(kv => new PyTuple([kv.Key, kv.Value])).ToList();
        var comparer = Comparer<object?>.Create((x, y) => PyOps.Compare(x, y));
        var sorted = PyOps.IsTruthy(p[2])
            ? pairs.OrderByDescending(t => SortKey(t.Items[pos], caseSensitive), comparer)
            : pairs.OrderBy(t => SortKey(t.Items[pos], caseSensitive), comparer);
        return PyOps.RunSort(() => sorted.Select(t => (object?)t).ToList());
    }

    private static object? Unique(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("unique", ("case_sensitive", false), ("attribute", null));
        bool caseSensitive = PyOps.IsTruthy(p[0]);
        var seen = new PyDict();
        var result = new List<object?>();
        foreach (object? item in PyOps.Iterate(v))
        {
            object? key = SortKey(p[1] is null ? item : GetPath(item, p[1]), caseSensitive);
            if (seen.ContainsKey(key)) continue;
            seen.Set(key, null);
            result.Add(item);
        }

        return new PyIterator(result);
    }

    private static object? MinMax(object? v, CallArguments a, TemplateRenderer r, string fn)
    {
        var p = a.Bind(fn, ("case_sensitive", false), ("attribute", null));
        bool caseSensitive = PyOps.IsTruthy(p[0]);
        var items = PyOps.Iterate(v);
        if (items.Count == 0) return Undefined.ForName("No aggregated item, sequence was empty.");
        object? best = items[0];
        object? bestKey = SortKey(p[1] is null ? best : GetPath(best, p[1]), caseSensitive);
        foreach (object? item in items.Skip(1))
        {
            object? key = SortKey(p[1] is null ? item : GetPath(item, p[1]), caseSensitive);
            int cmp = PyOps.Compare(key, bestKey);
            if (fn == "min" ? cmp < 0 : cmp > 0)
            {
                best = item;
                bestKey = key;
            }
        }

        return best;
    }

    private static object? Sum(object? v, CallArguments a, TemplateRenderer r)
    {
        var p = a.Bind("sum", ("attribute", null), ("start", 0L));
        object? total = p[1];
        foreach (object? item in PyOps.Iterate(v))
        {
            total = PyOps.Binary("+", total, p[0] is null ? item : GetPath(item, p[0]));
        }

        return total;
    }

    private static object? ToJson(object? v, CallArguments a, TemplateRenderer r)
    {
        // transformers replaces Jinja2's tojson (which HTML-escapes) with plain json.dumps.
        var p = a.Bind("tojson", ("ensure_ascii", false), ("indent", null), ("separators", null), ("sort_keys", false));
        string? item = null, key = null;
        if (p[2] is not null)
        {
            var seps = p[2] switch
            {
                PyTuple t => t.Items,
                List<object?> l => l,
                _ => throw new TemplateError("separators must be a (item_separator, key_separator) pair"),
            };
            if (seps.Count != 2 || seps[0] is not string s0 || seps[1] is not string s1)
            {
                throw new TemplateError("separators must be a (item_separator, key_separator) pair of strings");
            }

            (item, key) = (s0, s1);
        }

        return PyJson.Dumps(v, p[1], item, key, PyOps.IsTruthy(p[0]), PyOps.IsTruthy(p[3]));
    }

    /// <summary>
    /// Jinja2's attribute getter for <c>map(attribute=...)</c>, <c>selectattr</c>, <c>sort(attribute=...)</c>:
    /// a dotted path whose integer parts index sequences; each step is an item lookup.
    /// </summary>
    internal static object? GetPath(object? item, object? attribute)
    {
        if (attribute is long or bool) return PyOps.GetItem(item, attribute);
        if (attribute is not string path) throw new TemplateError("attribute must be a string or an int");
        foreach (string part in path.Split('.'))
        {
            object key = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long idx) ? idx : part;
            item = PyOps.GetItem(item, key);
        }

        return item;
    }
}
