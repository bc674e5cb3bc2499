namespace OnnxLlm.Generation;

/// <summary>
/// One step of a generation: each generated token (with the text it completed, which may be empty while a
/// multi-byte character or a possible stop sequence is pending), then a final update with the finish reason.
/// Text never holds a broken UTF-8 sequence or any part of a stop sequence; an end token yields no update
/// of its own (it is counted in <see cref="GeneratedTokens"/>).
/// </summary>
internal readonly record struct GenerationUpdate
{
    /// <summary>The generated token, or -1 on the final update and on text released at the end.</summary>
    public int TokenId { get; init; }

    /// <summary>Newly decoded text (may be empty, e.g. on the final update).</summary>
    public string Text { get; init; }

    /// <summary>Set on the final update only.</summary>
    public GenerationFinishReason? FinishReason { get; init; }

    /// <summary>Prompt tokens processed.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Tokens generated so far (including an end token, which is not shown as text).</summary>
    public int GeneratedTokens { get; init; }

    /// <summary>Time from the start of the request (queueing included) until the first generated token.</summary>
    public TimeSpan? TimeToFirstToken { get; init; }

    /// <summary>Prompt tokens whose KV cache was reused from an earlier sequence with the same start (not computed again).</summary>
    public int CachedPromptTokens { get; init; }

    /// <summary>Time the request waited for a free sequence slot.</summary>
    public TimeSpan QueueTime { get; init; }
}
