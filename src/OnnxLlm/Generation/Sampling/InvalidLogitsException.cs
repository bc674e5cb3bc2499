namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// The model produced a logits row from which no token can be chosen (NaN, +∞, or all −∞).
/// Thrown instead of silently emitting token 0 or garbage, so corrupt models and numeric overflows surface loudly.
/// </summary>
public sealed class InvalidLogitsException : Exception
{
    /// <summary>Creates the exception for a given generation step.</summary>
    /// <param name="step">0-based index of the generated token whose logits were invalid.</param>
    /// <param name="kind">What was wrong with the row.</param>
    /// <param name="tokenId">First offending token id, or -1 when the whole row is at fault.</param>
    public InvalidLogitsException(int step, InvalidLogitsKind kind, int tokenId)
        : base(BuildMessage(step, kind, tokenId))
    {
        Step = step;
        Kind = kind;
        TokenId = tokenId;
    }

    /// <summary>0-based index of the generated token whose logits were invalid (0 = first token after the prompt).</summary>
    public int Step { get; }

    /// <summary>What was wrong with the row.</summary>
    public InvalidLogitsKind Kind { get; }

    /// <summary>First offending token id (vocabulary index), or -1 for <see cref="InvalidLogitsKind.AllNegativeInfinity"/>.</summary>
    public int TokenId { get; }

    private static string BuildMessage(int step, InvalidLogitsKind kind, int tokenId) => kind switch
    {
        InvalidLogitsKind.NaN => $"Invalid logits at generation step {step}: NaN at token id {tokenId}.",
        InvalidLogitsKind.PositiveInfinity => $"Invalid logits at generation step {step}: +Infinity at token id {tokenId}.",
        _ => $"Invalid logits at generation step {step}: every logit is -Infinity, so no token can be chosen.",
    };
}
