namespace OnnxLlm.Templates;

/// <summary>
/// The result of <c>dict.items()</c>, <c>dict.keys()</c> or <c>dict.values()</c>: iterable, sized and truthy like a
/// list, but printed as <c>dict_items([...])</c>, not subscriptable and not JSON-serializable — exactly as in Python,
/// so printing or serializing one renders (or fails) the way Jinja2 does.
/// </summary>
internal sealed class PyDictView(string kind, List<object?> items)
{
    /// <summary><c>dict_items</c>, <c>dict_keys</c> or <c>dict_values</c>.</summary>
    public string Kind { get; } = kind;

    /// <summary>A snapshot of the view's elements.</summary>
    public List<object?> Items { get; } = items;
}
