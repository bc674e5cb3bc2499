namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Token history for the repetition / presence / frequency penalties of one generation.
/// </summary>
/// <remarks>
/// Bookkeeping is O(distinct tokens seen), never O(vocabulary): a per-id count array gives O(1) updates, and the
/// list of touched ids is what <see cref="Apply"/> walks and what <see cref="Reset"/> clears. All arrays are
/// vocabulary-sized and allocated once, so steady-state decoding allocates nothing however many distinct tokens
/// appear.
/// </remarks>
internal sealed class PenaltyState
{
    private readonly float _repetition;
    private readonly float _presence;
    private readonly float _frequency;
    private readonly bool _useRepetition;

    // Occurrences of each id in the generated text (prompt excluded: OpenAI semantics for presence/frequency).
    private readonly int[] _generatedCount;

    // Whether an id is already in _touched; for repetition penalty this also covers the prompt (HF semantics).
    private readonly bool[] _seen;

    // Distinct ids seen so far, in first-seen order; _touched[.._touchedCount] is the work list.
    private readonly int[] _touched;
    private int _touchedCount;

    public PenaltyState(SamplingOptions options, int vocabSize)
    {
        _repetition = options.RepetitionPenalty;
        _presence = options.PresencePenalty;
        _frequency = options.FrequencyPenalty;
        _useRepetition = _repetition != 1f;
        _generatedCount = new int[vocabSize];
        _seen = new bool[vocabSize];
        _touched = new int[vocabSize];
    }

    /// <summary>Number of distinct token ids the penalties currently apply to.</summary>
    public int DistinctCount => _touchedCount;

    /// <summary>Forgets all history, then records the prompt (only the repetition penalty looks at it).</summary>
    public void Reset(ReadOnlySpan<int> promptTokenIds)
    {
        foreach (int id in _touched.AsSpan(0, _touchedCount))
        {
            _generatedCount[id] = 0;
            _seen[id] = false;
        }

        _touchedCount = 0;
        if (_useRepetition)
        {
            foreach (int id in promptTokenIds)
            {
                Touch(id);
            }
        }
    }

    /// <summary>Records one generated token.</summary>
    public void Accept(int tokenId)
    {
        Touch(tokenId);
        _generatedCount[tokenId]++;
    }

    /// <summary>Applies the penalties in place, in Hugging Face order: repetition first, then presence/frequency.</summary>
    /// <remarks>
    /// Each id is adjusted independently, so doing both penalties per id in one walk is equivalent to two passes.
    /// </remarks>
    public void Apply(Span<float> logits)
    {
        float repetition = _repetition;
        foreach (int id in _touched.AsSpan(0, _touchedCount))
        {
            float original = logits[id];
            float logit = original;
            if (_useRepetition)
            {
                // CTRL / HF: shrink positive logits, push negative ones further down.
                logit = logit < 0 ? logit * repetition : logit / repetition;
            }

            int count = _generatedCount[id];
            if (count > 0)
            {
                // OpenAI: mu[j] - c[j] * frequency_penalty - (c[j] > 0) * presence_penalty.
                logit = logit - (count * _frequency) - _presence;
            }

            // A penalty < 1 can overflow a huge finite logit to +inf, which would poison softmax (inf - inf).
            // Non-finite inputs are left alone so the logits guard, which runs next, still reports them.
            logits[id] = float.IsPositiveInfinity(logit) && float.IsFinite(original) ? float.MaxValue : logit;
        }
    }

    private void Touch(int id)
    {
        if (!_seen[id])
        {
            _seen[id] = true;
            _touched[_touchedCount++] = id;
        }
    }
}
