namespace OnnxLlm.Templates;

/// <summary>An immutable Python tuple (from <c>(a, b)</c> literals and <c>dict.items()</c>); renders as <c>(a, b)</c>.</summary>
internal sealed class PyTuple(IReadOnlyList<object?> items)
{
    /// <summary>The elements.</summary>
    public IReadOnlyList<object?> Items { get; } = items;
}
