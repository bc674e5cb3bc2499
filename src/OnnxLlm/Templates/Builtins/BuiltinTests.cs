namespace OnnxLlm.Templates;

/// <summary>A test: <c>value is name(args)</c>.</summary>
internal delegate bool TestFunction(object? value, CallArguments args, TemplateRenderer renderer);

/// <summary>
/// Jinja2 3.1's built-in tests with their exact Python meaning (e.g. <c>True is number</c> holds because bool is an
/// int, a dict <c>is sequence</c>, <c>undefined is iterable</c>). Unknown tests are rejected at parse time.
/// </summary>
internal static class BuiltinTests
{
    private static readonly Dictionary<string, TestFunction> Tests = new(StringComparer.Ordinal)
    {
        ["boolean"] = (v, a, _) => { a.Bind("boolean"); return v is bool; },
        ["callable"] = (v, a, _) => { a.Bind("callable"); return v is JinjaCallable; },
        ["defined"] = (v, a, _) => { a.Bind("defined"); return v is not Undefined; },
        ["divisibleby"] = (v, a, _) => PyOps.PyEquals(PyOps.Binary("%", v, a.Bind("divisibleby", ("num", CallArguments.Required))[0]), 0L),
        ["eq"] = Compare("eq", "=="),
        ["equalto"] = Compare("equalto", "=="),
        ["=="] = Compare("==", "=="),
        ["escaped"] = (v, a, _) => { a.Bind("escaped"); return false; },
        ["even"] = (v, a, _) => { a.Bind("even"); return PyOps.PyEquals(PyOps.Binary("%", v, 2L), 0L); },
        ["false"] = (v, a, _) => { a.Bind("false"); return v is false; },
        ["filter"] = (v, a, _) => { a.Bind("filter"); return v is string name && BuiltinFilters.TryGet(name, out FilterFunction _); },
        ["float"] = (v, a, _) => { a.Bind("float"); return v is double; },
        ["ge"] = Compare("ge", ">="),
        [">="] = Compare(">=", ">="),
        ["gt"] = Compare("gt", ">"),
        ["greaterthan"] = Compare("greaterthan", ">"),
        [">"] = Compare(">", ">"),
        ["in"] = (v, a, _) => PyOps.Contains(a.Bind("in", ("seq", CallArguments.Required))[0], v),
        ["integer"] = (v, a, _) => { a.Bind("integer"); return v is long; },
        ["iterable"] = (v, a, _) => { a.Bind("iterable"); return v is string or List<object?> or PyTuple or PyDict or Undefined or PyIterator or PyDictView; },
        ["le"] = Compare("le", "<="),
        ["<="] = Compare("<=", "<="),
        ["lower"] = (v, a, _) => { a.Bind("lower"); string s = PyRepr.Str(v); return s.Any(char.IsLetter) && !s.Any(char.IsUpper) && s.Any(char.IsLower); },
        ["lt"] = Compare("lt", "<"),
        ["lessthan"] = Compare("lessthan", "<"),
        ["<"] = Compare("<", "<"),
        ["mapping"] = (v, a, _) => { a.Bind("mapping"); return v is PyDict; },
        ["ne"] = Compare("ne", "!="),
        ["!="] = Compare("!=", "!="),
        ["none"] = (v, a, _) => { a.Bind("none"); return v is null; },
        ["number"] = (v, a, _) => { a.Bind("number"); return PyOps.IsNumber(v); },
        ["odd"] = (v, a, _) => { a.Bind("odd"); return PyOps.PyEquals(PyOps.Binary("%", v, 2L), 1L); },
        ["sameas"] = (v, a, _) => SameAs(v, a.Bind("sameas", ("other", CallArguments.Required))[0]),
        // Python's test_sequence: has len() and __getitem__, which includes str, dict and Undefined.
        ["sequence"] = (v, a, _) => { a.Bind("sequence"); return v is string or List<object?> or PyTuple or PyDict or Undefined; },
        ["string"] = (v, a, _) => { a.Bind("string"); return v is string; },
        ["test"] = (v, a, _) => { a.Bind("test"); return v is string name && Tests!.ContainsKey(name); },
        ["true"] = (v, a, _) => { a.Bind("true"); return v is true; },
        ["undefined"] = (v, a, _) => { a.Bind("undefined"); return v is Undefined; },
        ["upper"] = (v, a, _) => { a.Bind("upper"); string s = PyRepr.Str(v); return s.Any(char.IsLetter) && !s.Any(char.IsLower) && s.Any(char.IsUpper); },
    };

    /// <summary>Looks up a test by name.</summary>
    public static bool TryGet(string name, out TestFunction test) => Tests.TryGetValue(name, out test!);

    private static TestFunction Compare(string name, string op)
        => (v, a, _) => PyOps.CompareOp(op, v, a.Bind(name, ("other", CallArguments.Required))[0]);

    /// <summary>Python identity, approximated for value types the way CPython behaves for them.</summary>
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y && x is >= -5 and <= 256, // CPython's small-int cache
        (Undefined, _) or (_, Undefined) => false,
        _ => ReferenceEquals(a, b),
    };
}
