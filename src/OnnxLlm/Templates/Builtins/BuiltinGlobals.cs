namespace OnnxLlm.Templates;

/// <summary>
/// Global functions visible to every template: Jinja2's <c>range</c>, <c>dict</c>, <c>namespace</c> and the two
/// that transformers adds, <c>raise_exception</c> and <c>strftime_now</c>. Render variables shadow them.
/// </summary>
internal static class BuiltinGlobals
{
    /// <summary>Jinja2's sandbox refuses ranges longer than this (MAX_RANGE).</summary>
    private const long MaxRange = 100_000;

    private static readonly Dictionary<string, object?> Globals = new(StringComparer.Ordinal)
    {
        ["range"] = new BuiltinFunction("range", (a, _) => Range(a)),
        ["dict"] = new BuiltinFunction("dict", (a, _) => MakeDict("dict", a)),
        ["namespace"] = new BuiltinFunction("namespace", (a, _) =>
        {
            var ns = new JinjaNamespace();
            foreach (var kv in MakeDict("namespace", a).Items) ns.Attributes[(string)kv.Key!] = kv.Value;
            return ns;
        }),
        ["raise_exception"] = new BuiltinFunction("raise_exception", (a, _) =>
            throw new TemplateError(PyRepr.Str(a.Bind("raise_exception", ("message", CallArguments.Required))[0]), raisedByTemplate: true)),
        ["strftime_now"] = new BuiltinFunction("strftime_now", (a, r) =>
        {
            object? format = a.Bind("strftime_now", ("format", CallArguments.Required))[0];
            return Strftime.Format(r.TimeProvider.GetLocalNow(), format as string ?? throw new TemplateError("strftime_now() format must be a string"));
        }),
    };

    /// <summary>Looks up a global by name.</summary>
    public static bool TryGet(string name, out object? value) => Globals.TryGetValue(name, out value);

    private static List<object?> Range(CallArguments a)
    {
        if (a.Named.Count > 0) throw new TemplateError("range() takes no keyword arguments");
        var p = a.Positional.ConvertAll(x => x switch
        {
            long l => l,
            bool b => b ? 1L : 0L,
            _ => throw new TemplateError($"'{PyOps.TypeName(x)}' object cannot be interpreted as an integer"),
        });
        (long start, long stop, long step) = p.Count switch
        {
            1 => (0L, p[0], 1L),
            2 => (p[0], p[1], 1L),
            3 => (p[0], p[1], p[2]),
            _ => throw new TemplateError($"range expected 1 to 3 arguments, got {p.Count}"),
        };
        if (step == 0) throw new TemplateError("range() arg 3 must not be zero");
        long count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
        if (count > MaxRange) throw new TemplateError($"Range too big. The sandbox blocks ranges larger than MAX_RANGE ({MaxRange}).");
        var result = new List<object?>();
        for (long i = 0; i < count; i++) result.Add(start + (i * step));
        return result;
    }

    /// <summary>Python <c>dict(mapping_or_pairs, **kwargs)</c>.</summary>
    private static PyDict MakeDict(string fn, CallArguments a)
    {
        if (a.Positional.Count > 1) throw new TemplateError($"{fn} expected at most 1 positional argument, got {a.Positional.Count}");
        var dict = new PyDict();
        if (a.Positional.Count == 1)
        {
            switch (a.Positional[0])
            {
                case PyDict src:
                    foreach (var kv in src.Items) dict.Set(kv.Key, kv.Value);
                    break;
                case var other:
                    foreach (object? pair in PyOps.Iterate(other))
                    {
                        var items = PyOps.Iterate(pair);
                        if (items.Count != 2) throw new TemplateError($"{fn}() sequence elements must have length 2");
                        dict.Set(items[0], items[1]);
                    }

                    break;
            }
        }

        foreach (var kv in a.Named) dict.Set(kv.Key, kv.Value);
        if (fn == "namespace" && dict.Keys.Any(k => k is not string)) throw new TemplateError("namespace() keywords must be strings");
        return dict;
    }
}
