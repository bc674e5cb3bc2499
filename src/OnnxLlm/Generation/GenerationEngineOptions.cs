namespace OnnxLlm.Generation;

/// <summary>How a <see cref="GenerationEngine"/> schedules requests; <see cref="OnnxLlmOptions"/> sets these for a loaded model.</summary>
internal sealed record GenerationEngineOptions
{
    /// <summary>Default number of sequences decoded together.</summary>
    public const int DefaultMaxParallelSequences = 4;

    /// <summary>Default number of requests that may wait for a free sequence.</summary>
    public const int DefaultMaxQueuedRequests = 64;

    /// <summary>Default prefix-cache budget: 1 GiB.</summary>
    public const long DefaultPrefixCacheBytes = 1L << 30;

    /// <summary>Sequences generated at once, decoded together in one batched run per step (default 4).</summary>
    public int MaxParallelSequences { get; init; } = DefaultMaxParallelSequences;

    /// <summary>Requests that may wait for a free sequence; one more is refused with <see cref="GenerationQueueFullException"/> (default 64).</summary>
    public int MaxQueuedRequests { get; init; } = DefaultMaxQueuedRequests;

    /// <summary>Bytes of finished sequences' KV caches kept for prefix reuse (default 1 GiB; 0 turns reuse off).</summary>
    public long PrefixCacheBytes { get; init; } = DefaultPrefixCacheBytes;

    /// <summary>Prompt tokens per prefill run; a long prompt is prefilled a chunk at a time, between other sequences' decode steps.</summary>
    public int PrefillChunkSize { get; init; } = 128;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParallelSequences, 1, nameof(MaxParallelSequences));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxQueuedRequests, nameof(MaxQueuedRequests));
        ArgumentOutOfRangeException.ThrowIfNegative(PrefixCacheBytes, nameof(PrefixCacheBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(PrefillChunkSize, 1, nameof(PrefillChunkSize));
    }
}
