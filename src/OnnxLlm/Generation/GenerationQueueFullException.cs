namespace OnnxLlm.Generation;

/// <summary>
/// Every sequence slot is busy and the queue of waiting requests is full
/// (<see cref="OnnxLlmOptions.MaxConcurrentGenerations"/> + <see cref="OnnxLlmOptions.MaxQueuedGenerations"/>).
/// Nothing was started; retry after <see cref="RetryAfter"/> (a server answers 429 with that Retry-After).
/// </summary>
public sealed class GenerationQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception with the limits that were hit.</summary>
    public GenerationQueueFullException(int running, int queued, TimeSpan retryAfter)
        : base($"The model is busy: {running} generations are running and {queued} are queued, the most this engine accepts " +
               $"(OnnxLlmOptions.MaxConcurrentGenerations / MaxQueuedGenerations). Retry in about {Math.Ceiling(retryAfter.TotalSeconds)} s.")
    {
        Running = running;
        Queued = queued;
        RetryAfter = retryAfter;
    }

    /// <summary>Generations running when the request was refused.</summary>
    public int Running { get; }

    /// <summary>Requests waiting when the request was refused.</summary>
    public int Queued { get; }

    /// <summary>An estimate of when a place will be free (from recent request durations).</summary>
    public TimeSpan RetryAfter { get; }
}
