using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Python methods callable on values (<c>content.strip()</c>, <c>message.get('x')</c>, <c>ns.items.append(x)</c>).
/// Python methods this engine does not implement raise instead of resolving to undefined, so a template that
/// uses one fails loudly rather than rendering differently.
/// </summary>
internal static class BuiltinMethods
{
    private static readonly HashSet<string> PythonStrMethods =
    [
        "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map",
        "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric",
        "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition",
        "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split",
        "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill",
    ];

    private static readonly HashSet<string> PythonDictMethods =
        ["clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"];

    private static readonly HashSet<string> PythonListMethods =
        ["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"];

    /// <summary>
    /// Resolves <paramref name="name"/> as a method of <paramref name="target"/>. Returns false when the value has
    /// no such Python attribute (the caller then falls back to item lookup / undefined).
    /// </summary>
    public static bool TryGetMethod(object? target, string name, out JinjaCallable? method)
    {
        method = target switch
        {
            string s when PythonStrMethods.Contains(name) => StrMethod(s, name),
            PyDict d when PythonDictMethods.Contains(name) => DictMethod(d, name),
            List<object?> l when PythonListMethods.Contains(name) => ListMethod(l, name),
            _ => null,
        };
        return method is not null;
    }

    private static BuiltinFunction Fn(string name, Func<CallArguments, object?> body) => new(name, (a, _) => body(a));

    private static Exception Unsupported(string type, string name)
        => new TemplateError($"the method {type}.{name}() is not supported by this template engine");

    private static string? OptStr(object? v, string fn)
        => v switch { null => null, string s => s, _ => throw new TemplateError($"{fn} arg must be None or str") };

    private static string ReqStr(object? v, string fn)
        => v as string ?? throw new TemplateError($"{fn}() argument must be str, not {PyOps.TypeName(v)}");

    private static long ReqInt(object? v, string fn)
        => v switch { long l => l, bool b => b ? 1 : 0, _ => throw new TemplateError($"{fn}() argument must be int, not {PyOps.TypeName(v)}") };

    private static JinjaCallable StrMethod(string s, string name) => name switch
    {
        "strip" => Fn(name, a => PyText.Strip(s, OptStr(a.Bind(name, ("chars", null))[0], name))),
        "lstrip" => Fn(name, a => PyText.LStrip(s, OptStr(a.Bind(name, ("chars", null))[0], name))),
        "rstrip" => Fn(name, a => PyText.RStrip(s, OptStr(a.Bind(name, ("chars", null))[0], name))),
        "split" => Fn(name, a =>
        {
            var p = a.Bind(name, ("sep", null), ("maxsplit", -1L));
            return PyText.Split(s, OptStr(p[0], name), ReqInt(p[1], name));
        }),
        "rsplit" => Fn(name, a =>
        {
            var p = a.Bind(name, ("sep", null), ("maxsplit", -1L));
            if (ReqInt(p[1], name) >= 0) throw new TemplateError("str.rsplit() with maxsplit is not supported");
            return PyText.Split(s, OptStr(p[0], name), -1);
        }),
        "splitlines" => Fn(name, a =>
        {
            if (PyOps.IsTruthy(a.Bind(name, ("keepends", false))[0])) throw new TemplateError("str.splitlines(keepends=True) is not supported");
            return PyText.SplitLines(s).ConvertAll(x => (object?)x);
        }),
        "startswith" or "endswith" => Fn(name, a =>
        {
            object? arg = a.Bind(name, ("prefix", CallArguments.Required))[0];
            IEnumerable<object?> options = arg is PyTuple t ? t.Items : [arg];
            foreach (object? o in options)
            {
                string p = o as string ?? throw new TemplateError($"{name} first arg must be str or a tuple of str, not {PyOps.TypeName(o)}");
                if (name == "startswith" ? s.StartsWith(p, StringComparison.Ordinal) : s.EndsWith(p, StringComparison.Ordinal)) return true;
            }

            return false;
        }),
        "upper" => Fn(name, a => { a.Bind(name); return PyText.Upper(s); }),
        "lower" => Fn(name, a => { a.Bind(name); return PyText.Lower(s); }),
        "title" => Fn(name, a => { a.Bind(name); return PyText.PyTitle(s); }),
        "capitalize" => Fn(name, a => { a.Bind(name); return PyText.Capitalize(s); }),
        "replace" => Fn(name, a =>
        {
            var p = a.Bind(name, ("old", CallArguments.Required), ("new", CallArguments.Required), ("count", -1L));
            return Replace(s, ReqStr(p[0], name), ReqStr(p[1], name), ReqInt(p[2], name));
        }),
        "find" or "rfind" => Fn(name, a =>
        {
            string sub = ReqStr(a.Bind(name, ("sub", CallArguments.Required))[0], name);
            int idx = name == "find" ? s.IndexOf(sub, StringComparison.Ordinal) : s.LastIndexOf(sub, StringComparison.Ordinal);
            return idx < 0 ? -1L : (long)PyText.Length(s[..idx]);
        }),
        "count" => Fn(name, a =>
        {
            string sub = ReqStr(a.Bind(name, ("sub", CallArguments.Required))[0], name);
            if (sub.Length == 0) return (long)PyText.Length(s) + 1;
            long n = 0;
            for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
            return n;
        }),
        "join" => Fn(name, a =>
        {
            var items = PyOps.Iterate(a.Bind(name, ("iterable", CallArguments.Required))[0]);
            return BuiltinFilters.LimitedJoin(s, items.Select(i => i as string ?? throw new TemplateError($"sequence item: expected str instance, {PyOps.TypeName(i)} found")).ToList());
        }),
        "removeprefix" => Fn(name, a =>
        {
            string p = ReqStr(a.Bind(name, ("prefix", CallArguments.Required))[0], name);
            return s.StartsWith(p, StringComparison.Ordinal) ? s[p.Length..] : s;
        }),
        "removesuffix" => Fn(name, a =>
        {
            string p = ReqStr(a.Bind(name, ("suffix", CallArguments.Required))[0], name);
            return p.Length > 0 && s.EndsWith(p, StringComparison.Ordinal) ? s[..^p.Length] : s;
        }),
        "isspace" => Fn(name, a => { a.Bind(name); return s.Length > 0 && s.All(PyText.IsSpace); }),
        "isdigit" => Fn(name, a => { a.Bind(name); return s.Length > 0 && s.All(char.IsAsciiDigit); }),
        "isalpha" => Fn(name, a => { a.Bind(name); return s.Length > 0 && s.All(char.IsLetter); }),
        "isalnum" => Fn(name, a => { a.Bind(name); return s.Length > 0 && s.All(char.IsLetterOrDigit); }),
        "isupper" => Fn(name, a => { a.Bind(name); return s.Any(char.IsLetter) && !s.Any(char.IsLower) && s.Any(char.IsUpper); }),
        "islower" => Fn(name, a => { a.Bind(name); return s.Any(char.IsLetter) && !s.Any(char.IsUpper) && s.Any(char.IsLower); }),
        _ => throw Unsupported("str", name),
    };

    private static long CountMatches(string s, string old)
    {
        long n = 0;
        for (int at = s.IndexOf(old, StringComparison.Ordinal); at >= 0; at = s.IndexOf(old, at + old.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python <c>str.replace</c>, including the empty-pattern case that inserts between characters.</summary>
    internal static string Replace(string s, string old, string @new, long count)
    {
        // Bound the result before building it: the empty pattern inserts at every position, others once per match.
        if (@new.Length > old.Length)
        {
            long matches = old.Length == 0 ? s.Length + 1L : CountMatches(s, old);
            if (count >= 0) matches = Math.Min(matches, count);
            TemplateLimits.CheckLength(s.Length + matches * (@new.Length - old.Length), "the replaced string");
        }
        if (count < 0 && old.Length > 0) return s.Replace(old, @new, StringComparison.Ordinal);
        var sb = new StringBuilder();
        long done = 0;
        if (old.Length == 0)
        {
            var cps = PyText.CodePoints(s);
            for (int i = 0; i <= cps.Count; i++)
            {
                if (count < 0 || done < count)
                {
                    sb.Append(@new);
                    done++;
                }

                if (i < cps.Count) sb.Append(cps[i]);
            }

            return sb.ToString();
        }

        int pos = 0;
        while (done < count)
        {
            int idx = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (idx < 0) break;
            sb.Append(s, pos, idx - pos).Append(@new);
            pos = idx + old.Length;
            done++;
        }

        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    private static JinjaCallable DictMethod(PyDict d, string name) => name switch
    {
        "items" => Fn(name, a => { a.Bind(name); return new PyDictView("dict_items", d.Items.Select(kv => (object?)new PyTuple([kv.Key, kv.Value])).ToList()); }),
        "keys" => Fn(name, a => { a.Bind(name); return new PyDictView("dict_keys", d.Keys.ToList()); }),
        "values" => Fn(name, a => { a.Bind(name); return new PyDictView("dict_values", d.Items.Select(kv => kv.Value).ToList()); }),
        "get" => Fn(name, a =>
        {
            var p = a.Bind(name, ("key", CallArguments.Required), ("default", null));
            return d.TryGet(p[0], out object? v) ? v : p[1];
        }),
        _ => throw Unsupported("dict", name),
    };

    private static JinjaCallable ListMethod(List<object?> l, string name) => name switch
    {
        // Note: transformers' ImmutableSandboxedEnvironment forbids list.append; it is allowed here on purpose so
        // templates written for plain Jinja2 (namespace list accumulation) still work.
        "append" => Fn(name, a =>
        {
            l.Add(a.Bind(name, ("object", CallArguments.Required))[0]);
            return null;
        }),
        "index" => Fn(name, a =>
        {
            object? x = a.Bind(name, ("value", CallArguments.Required))[0];
            int i = l.FindIndex(v => PyOps.PyEquals(v, x));
            return i >= 0 ? (long)i : throw new TemplateError($"{PyRepr.Repr(x)} is not in list");
        }),
        "count" => Fn(name, a =>
        {
            object? x = a.Bind(name, ("value", CallArguments.Required))[0];
            return (long)l.Count(v => PyOps.PyEquals(v, x));
        }),
        _ => throw Unsupported("list", name),
    };
}
