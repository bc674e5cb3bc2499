namespace OnnxLlm.Templates;

/// <summary>
/// The <c>loop</c> variable inside <c>{% for %}</c>. The items are materialized up front (after the inline
/// <c>if</c> filter), so <c>length</c>, <c>last</c>, <c>revindex</c> and <c>nextitem</c> are exact, as in Jinja2.
/// </summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    private object? _lastChanged = Undefined.Instance;
    private bool _changedCalled;

    /// <summary>0-based position of the current item.</summary>
    public int Index0 { get; set; }

    /// <summary>Looks up a loop attribute; unknown names are undefined, as for any object in Jinja2.</summary>
    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)(Index0 + 1),
        "index0" => (long)Index0,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "depth" => 1L,
        "depth0" => 0L,
        "previtem" => Index0 > 0 ? items[Index0 - 1] : Undefined.ForName("previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : Undefined.ForName("nextitem"),
        "cycle" => new BuiltinFunction("loop.cycle", (args, _) =>
        {
            if (args.Positional.Count == 0) throw new TemplateError("no items for cycling given");
            return args.Positional[Index0 % args.Positional.Count];
        }),
        "changed" => new BuiltinFunction("loop.changed", (args, _) =>
        {
            object? value = new List<object?>(args.Positional);
            if (_changedCalled && PyOps.PyEquals(value, _lastChanged)) return false;
            _changedCalled = true;
            _lastChanged = value;
            return true;
        }),
        _ => Undefined.ForMember(this, name),
    };
}
