namespace OnnxLlm.Templates;

/// <summary>
/// The object returned by <c>namespace(...)</c>: the one mutable container Jinja2 lets a template assign into
/// (<c>{% set ns.attr = value %}</c>), which is how chat templates carry state out of a loop body.
/// </summary>
internal sealed class JinjaNamespace
{
    /// <summary>Attributes in assignment order.</summary>
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
