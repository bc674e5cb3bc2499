namespace OnnxLlm.Inference;

/// <summary>
/// One sequence's decoding state over a loaded model: its KV cache and bound buffers. Implementations differ
/// by graph contract (GenAI-style shared KV buffer, or a static-shape contract for Core ML), not by caller.
/// Not thread-safe: one state serves one generation at a time.
/// </summary>
internal interface IDecoderState : IDisposable
{
    /// <summary>Tokens the KV cache can hold.</summary>
    int Capacity { get; }

    /// <summary>Tokens processed so far (the next token's position).</summary>
    int Length { get; }

    /// <summary>Logits of the last processed position (valid until the next call).</summary>
    ReadOnlySpan<float> Logits { get; }

    /// <summary>The same logits, writable, for samplers and constraints that adjust them in place.</summary>
    Span<float> MutableLogits { get; }

    /// <summary>Forgets the sequence so the state can serve a new one.</summary>
    void Reset();

    /// <summary>Appends a prompt chunk; returns the logits of its last position.</summary>
    ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokenIds);

    /// <summary>Appends one token; returns the logits of its position. Allocates nothing managed in steady state.</summary>
    ReadOnlySpan<float> Decode(int tokenId);
}
