namespace OnnxLlm.Templates;

/// <summary>
/// Jinja2's default <c>Undefined</c>: the value of a missing variable, attribute or item. It renders as an empty
/// string, is falsy, iterates as empty and has length 0, but accessing an attribute or item of it, calling it,
/// doing arithmetic or ordering comparisons with it raises an error (UndefinedError in Jinja2).
/// </summary>
internal sealed class Undefined
{
    private Undefined(string hint) => Hint = hint;

    /// <summary>Jinja2's message for using this value, e.g. <c>'foo' is undefined</c>.</summary>
    public string Hint { get; }

    /// <summary>An undefined with no particular origin.</summary>
    public static Undefined Instance { get; } = new("value is undefined");

    /// <summary>Undefined variable <paramref name="name"/>.</summary>
    public static Undefined ForName(string name) => new($"'{name}' is undefined");

    /// <summary>Missing attribute or item <paramref name="name"/> of <paramref name="owner"/>.</summary>
    public static Undefined ForMember(object? owner, object? name)
        => new($"'{PyOps.TypeName(owner)} object' has no attribute {(name is string s ? "'" + s + "'" : PyRepr.Repr(name))}");

    /// <summary>The error Jinja2 raises when this undefined value is used in a way that needs a real value.</summary>
    public TemplateError Fail() => new(Hint);
}
