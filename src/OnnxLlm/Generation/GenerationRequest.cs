using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Generation;

/// <summary>One generation: a tokenized prompt and the rules for continuing and stopping it.</summary>
internal sealed record GenerationRequest
{
    /// <summary>The prompt's token ids (already rendered through the chat template and tokenized).</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>Most tokens to generate; reaching it ends with <see cref="GenerationFinishReason.Length"/>.</summary>
    public required int MaxNewTokens { get; init; }

    /// <summary>How each token is chosen.</summary>
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>Token ids that end generation (EOS and end-of-turn); they are not part of the text.</summary>
    public IReadOnlyCollection<int> StopTokenIds { get; init; } = [];

    /// <summary>Restricts the tokens that may be generated (null: none); see <see cref="ILogitsConstraint"/>.</summary>
    public ILogitsConstraint? Constraint { get; init; }

    /// <summary>Strings that end generation when they appear in the decoded text; they are not emitted.</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = [];

    /// <summary>The checks every backend makes before starting: a non-empty prompt of known ids that fits with its output.</summary>
    /// <exception cref="ArgumentException">The prompt is empty or holds an id outside the vocabulary.</exception>
    /// <exception cref="ContextLengthExceededException">Prompt + MaxNewTokens exceeds <paramref name="contextLength"/>.</exception>
    internal void Validate(int vocabSize, int contextLength)
    {
        if (PromptTokens.Count == 0)
            throw new ArgumentException("The prompt has no tokens.", "request");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNewTokens, 1, "request.MaxNewTokens");
        foreach (int id in PromptTokens)
            if ((uint)id >= (uint)vocabSize)
                throw new ArgumentException($"Prompt token id {id} is outside the vocabulary (0..{vocabSize - 1}).", "request");
        if (PromptTokens.Count + MaxNewTokens > contextLength)
            throw new ContextLengthExceededException(PromptTokens.Count, MaxNewTokens, contextLength);
    }
}
