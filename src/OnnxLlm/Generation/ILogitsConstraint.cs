namespace OnnxLlm.Generation;

/// <summary>
/// Restricts which tokens may come next (e.g. a grammar compiled from a JSON schema). The engine calls
/// <see cref="Apply"/> on every step's logits before sampling and <see cref="Accept"/> with the chosen token.
/// One instance serves one generation.
/// </summary>
internal interface ILogitsConstraint
{
    /// <summary>Masks disallowed tokens (sets their logits to −∞). Must leave at least one token allowed.</summary>
    void Apply(Span<float> logits);

    /// <summary>Advances the constraint's state past the chosen token.</summary>
    void Accept(int tokenId);

    /// <summary>True once the constrained output is complete; the engine then ends generation with Stop.</summary>
    bool IsComplete { get; }
}
