namespace OnnxLlm.Generation.Sampling;

/// <summary>Why a logits row was rejected by <see cref="LogitsGuard"/>.</summary>
public enum InvalidLogitsKind
{
    /// <summary>At least one logit is NaN (usually a numerical blow-up in the model or a bad export).</summary>
    NaN,

    /// <summary>At least one logit is +∞, which makes softmax undefined (∞ − ∞).</summary>
    PositiveInfinity,

    /// <summary>Every logit is −∞ (or the row is empty): no token has any probability.</summary>
    AllNegativeInfinity,
}
