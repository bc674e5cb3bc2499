namespace OnnxLlm.Templates;

/// <summary>
/// A one-shot Python iterator/generator, returned by filters that are lazy in Jinja2 (<c>map</c>, <c>select</c>,
/// <c>selectattr</c>, <c>reject</c>, <c>rejectattr</c>, <c>unique</c>, <c>items</c>, <c>reverse</c> on lists).
/// It keeps Jinja2's observable behaviour: always truthy, no <c>len()</c>, not JSON-serializable, exhausted after
/// one pass; pipe it through <c>| list</c> to get a list, exactly as in Jinja2.
/// </summary>
internal sealed class PyIterator(IEnumerable<object?> source)
{
    private IEnumerable<object?>? _source = source;

    /// <summary>Yields the remaining items once; later calls yield nothing, as an exhausted generator does.</summary>
    public List<object?> Consume()
    {
        var items = _source is null ? [] : _source.ToList();
        _source = null;
        return items;
    }
}
