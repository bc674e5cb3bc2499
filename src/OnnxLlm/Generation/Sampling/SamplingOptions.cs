namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// How the next token is chosen from a row of logits. Immutable; every property is validated when it is set
/// (including through <c>with</c> expressions), and an invalid value throws
/// <see cref="ArgumentOutOfRangeException"/> whose <see cref="ArgumentException.ParamName"/> is the property name.
/// </summary>
/// <remarks>
/// <para>
/// <b>Defaults are neutral</b>: <c>new SamplingOptions()</c> samples from the model's unmodified distribution
/// (temperature 1, no top-k/top-p/min-p, no penalties), matching the defaults of Hugging Face
/// <c>GenerationConfig</c> and of the OpenAI API. We deliberately do not bake in a model's recommended values
/// (Qwen2.5 instruct ships <c>temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05..1.1</c> in its
/// <c>generation_config.json</c>): an option that was never set must never silently reshape the distribution.
/// The engine is expected to layer the model's generation config first and the caller's overrides on top.
/// </para>
/// <para>
/// Processing order, identical to Hugging Face transformers' logits processors:
/// repetition penalty → presence/frequency penalties → temperature → top-k → top-p → min-p → softmax → draw.
/// </para>
/// <para>
/// Which tokens the penalties look at: <see cref="RepetitionPenalty"/> (Hugging Face/CTRL definition) counts the
/// prompt <i>and</i> the generated tokens; <see cref="PresencePenalty"/> and <see cref="FrequencyPenalty"/>
/// (OpenAI definitions) count only generated tokens.
/// </para>
/// </remarks>
internal sealed record SamplingOptions
{
    private readonly float _temperature = 1f;
    private readonly int? _topK;
    private readonly float? _topP;
    private readonly float? _minP;
    private readonly float _repetitionPenalty = 1f;
    private readonly float _presencePenalty;
    private readonly float _frequencyPenalty;

    /// <summary>Greedy decoding: always the most likely token (ties → lowest token id); no randomness.</summary>
    public static SamplingOptions Greedy { get; } = new() { DoSample = false };

    /// <summary>
    /// <see langword="false"/> ⇒ greedy decoding (argmax after penalties); temperature, top-k, top-p, min-p and
    /// the seed are then ignored. Default <see langword="true"/>.
    /// </summary>
    public bool DoSample { get; init; } = true;

    /// <summary>
    /// Softmax temperature, ≥ 0 and finite. Default 1 (the model's own distribution). Lower is sharper;
    /// <c>0</c> means greedy decoding, exactly like <see cref="DoSample"/> = <see langword="false"/> (so do
    /// subnormal temperatures whose reciprocal overflows). Very small positive values approach greedy but still
    /// sample among exactly tied maxima.
    /// </summary>
    public float Temperature
    {
        get => _temperature;
        init => _temperature = float.IsFinite(value) && value >= 0
            ? value
            : throw OutOfRange(nameof(Temperature), value, "must be a finite number >= 0 (0 = greedy).");
    }

    /// <summary>
    /// Keep only the <c>k</c> highest logits (plus any tied with the k-th, as Hugging Face does).
    /// <see langword="null"/> or 0 = off; values ≥ the vocabulary size are also effectively off. Must be ≥ 0.
    /// </summary>
    public int? TopK
    {
        get => _topK;
        init => _topK = value is null or >= 0
            ? value
            : throw OutOfRange(nameof(TopK), value, "must be >= 0 (0 or null = off).");
    }

    /// <summary>
    /// Nucleus sampling: keep the smallest set of most-likely tokens whose probability mass (after top-k
    /// renormalisation) reaches <c>p</c>. Tokens tied with the last one admitted are kept too, and the most likely
    /// token is always kept, so <c>0</c> keeps only the top token(s). Range [0, 1]; <see langword="null"/> or 1 = off.
    /// </summary>
    public float? TopP
    {
        get => _topP;
        init => _topP = value is null || (value >= 0f && value <= 1f)
            ? value
            : throw OutOfRange(nameof(TopP), value, "must be in [0, 1] (1 or null = off).");
    }

    /// <summary>
    /// Min-p sampling: drop tokens whose probability is below <c>MinP × p(most likely token)</c>.
    /// Range [0, 1]; <see langword="null"/> or 0 = off.
    /// </summary>
    public float? MinP
    {
        get => _minP;
        init => _minP = value is null || (value >= 0f && value <= 1f)
            ? value
            : throw OutOfRange(nameof(MinP), value, "must be in [0, 1] (0 or null = off).");
    }

    /// <summary>
    /// Seed of the token sampler's pseudo-random generator. The generator (xoshiro256** seeded through SplitMix64)
    /// is our own, so a seed reproduces the same random sequence on every .NET version and platform.
    /// <see langword="null"/> (default) ⇒ a fresh seed from a cryptographic source for each generation; the seed
    /// actually used is exposed as <see cref="TokenSampler.Seed"/> so a run can be replayed.
    /// </summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Hugging Face / CTRL repetition penalty, &gt; 0 and finite; 1 (default) = off. For every <i>distinct</i> token id
    /// present in the prompt or the generated text: <c>logit &gt; 0 ? logit / penalty : logit × penalty</c>
    /// (applied once per id, however often it occurred). Values &gt; 1 discourage repetition.
    /// </summary>
    public float RepetitionPenalty
    {
        get => _repetitionPenalty;
        init => _repetitionPenalty = float.IsFinite(value) && value > 0
            ? value
            : throw OutOfRange(nameof(RepetitionPenalty), value, "must be a finite number > 0 (1 = off).");
    }

    /// <summary>
    /// OpenAI presence penalty in [-2, 2]; 0 (default) = off. Subtracted once from the logit of every distinct token
    /// that has appeared in the <i>generated</i> text (the prompt does not count).
    /// </summary>
    public float PresencePenalty
    {
        get => _presencePenalty;
        init => _presencePenalty = value is >= -2f and <= 2f
            ? value
            : throw OutOfRange(nameof(PresencePenalty), value, "must be in [-2, 2] (0 = off).");
    }

    /// <summary>
    /// OpenAI frequency penalty in [-2, 2]; 0 (default) = off. <c>penalty × count</c> is subtracted from each token's
    /// logit, where <c>count</c> is how often it occurs in the <i>generated</i> text (the prompt does not count).
    /// </summary>
    public float FrequencyPenalty
    {
        get => _frequencyPenalty;
        init => _frequencyPenalty = value is >= -2f and <= 2f
            ? value
            : throw OutOfRange(nameof(FrequencyPenalty), value, "must be in [-2, 2] (0 = off).");
    }

    /// <summary>True when these options decode greedily (<see cref="DoSample"/> is false or the temperature is 0).</summary>
    public bool IsGreedy => !DoSample || _temperature == 0f || float.IsInfinity(1f / _temperature);

    internal bool HasPenalties => _repetitionPenalty != 1f || _presencePenalty != 0f || _frequencyPenalty != 0f;

    private static ArgumentOutOfRangeException OutOfRange(string name, object? value, string rule) =>
        new(name, value, $"{nameof(SamplingOptions)}.{name} {rule}");
}
