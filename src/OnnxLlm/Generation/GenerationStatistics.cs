namespace OnnxLlm.Generation;

/// <summary>
/// Counters of a <see cref="GenerationEngine"/> since it was created: how much prompt work the prefix cache saved and
/// how many sequences decoded together. A snapshot; read it again for newer figures.
/// </summary>
internal sealed record GenerationStatistics
{
    /// <summary>Requests that started generating.</summary>
    public long Requests { get; init; }

    /// <summary>Prompt tokens of those requests.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Prompt tokens whose KV cache was copied from the prefix cache instead of computed.</summary>
    public long ReusedPromptTokens { get; init; }

    /// <summary>Batched decode runs.</summary>
    public long DecodeSteps { get; init; }

    /// <summary>Tokens decoded by those runs (a run over four sequences decodes four).</summary>
    public long DecodedTokens { get; init; }

    /// <summary>Most sequences decoded by one run.</summary>
    public int LargestBatch { get; init; }

    /// <summary>Requests refused because the queue was full.</summary>
    public long Rejected { get; init; }

    /// <summary>Snapshots held by the prefix cache.</summary>
    public int CachedSequences { get; init; }

    /// <summary>Bytes held by the prefix cache.</summary>
    public long CachedBytes { get; init; }

    /// <summary>Snapshots the prefix cache dropped to stay within its budget.</summary>
    public long CacheEvictions { get; init; }
}
