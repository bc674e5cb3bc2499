namespace OnnxLlm.Constraints.Schema;

/// <summary>
/// Bounds that keep constrained JSON finite and parseable whatever the model prefers: a model that likes
/// spaces or digits cannot write them forever.
/// </summary>
internal sealed record JsonGrammarOptions
{
    /// <summary>Most whitespace bytes at each position between tokens of JSON (0: compact JSON only). Default 2, range 0..15.</summary>
    public int MaxWhitespace { get; init; } = 2;

    /// <summary>Most digits before the point of a <c>number</c>. Default 15.</summary>
    public int MaxNumberDigits { get; init; } = 15;

    /// <summary>Most digits of an <c>integer</c>. Default 9, so every value fits an Int32 (schemas of .NET ints carry no range).</summary>
    public int MaxIntegerDigits { get; init; } = 9;

    /// <summary>Most digits after the point. Default 6.</summary>
    public int MaxFractionDigits { get; init; } = 6;

    /// <summary>Most exponent digits (0: no exponent). Default 2, so every value fits a double.</summary>
    public int MaxExponentDigits { get; init; } = 2;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(MaxWhitespace, nameof(MaxWhitespace));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxWhitespace, 15, nameof(MaxWhitespace));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNumberDigits, 1, nameof(MaxNumberDigits));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIntegerDigits, 1, nameof(MaxIntegerDigits));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxFractionDigits, nameof(MaxFractionDigits));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxExponentDigits, nameof(MaxExponentDigits));
    }
}
