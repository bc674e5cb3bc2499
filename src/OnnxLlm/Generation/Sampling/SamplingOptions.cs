namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// How each token is chosen. Applied in Hugging Face's order: repetition penalty, presence/frequency
/// penalties, temperature, top-k, top-p, min-p, then a draw from a seeded generator.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Softmax temperature; 0 means greedy (argmax, ties to the lowest id). Default 1.</summary>
    public float Temperature { get; init; } = 1.0f;

    /// <summary>Keep only the k most likely tokens (null or 0: off).</summary>
    public int? TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose probability reaches this (null or 1: off).</summary>
    public float? TopP { get; init; }

    /// <summary>Drop tokens less likely than this fraction of the most likely one (null or 0: off).</summary>
    public float? MinP { get; init; }

    /// <summary>Seed of the draw: the same seed, prompt and options give the same tokens. Null: a random seed.</summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Hugging Face / CTRL repetition penalty (1: off): every token already in the prompt or the output has its
    /// logit divided by this when positive, multiplied when negative, once however often it appeared.
    /// </summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    /// <summary>OpenAI presence penalty: subtracted once from every token that has appeared in the output (not the prompt).</summary>
    public float PresencePenalty { get; init; }

    /// <summary>OpenAI frequency penalty: subtracted once per occurrence of a token in the output (not the prompt).</summary>
    public float FrequencyPenalty { get; init; }

    /// <summary>Whether sampling reduces to argmax.</summary>
    public bool IsGreedy => Temperature == 0 || TopK == 1;

    /// <summary>Checks every option's range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (named in the exception).</exception>
    public void Validate()
    {
        if (!float.IsFinite(Temperature) || Temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be finite and ≥ 0 (0 is greedy).");
        if (TopK is < 0)
            throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be ≥ 0 (0 is off).");
        if (TopP is { } p && (!(p > 0) || p > 1))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        if (MinP is { } m && (!(m >= 0) || m >= 1))
            throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "MinP must be in [0, 1).");
        if (!float.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0)
            throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be > 0 (1 is off).");
        if (!float.IsFinite(PresencePenalty) || Math.Abs(PresencePenalty) > 2)
            throw new ArgumentOutOfRangeException(nameof(PresencePenalty), PresencePenalty, "PresencePenalty must be in [-2, 2].");
        if (!float.IsFinite(FrequencyPenalty) || Math.Abs(FrequencyPenalty) > 2)
            throw new ArgumentOutOfRangeException(nameof(FrequencyPenalty), FrequencyPenalty, "FrequencyPenalty must be in [-2, 2].");
    }
}
