namespace OnnxLlm.Inference.Slots;

/// <summary>
/// The KV caches of several sequences over one loaded model, as the batch scheduler sees them: numbered slots
/// that are prefilled one at a time and decoded together, one token per slot per step. Implementations differ
/// by graph contract: <see cref="Gqa.BatchedKvSlots"/> decodes every slot in one batched run (GroupQueryAttention's
/// per-row lengths over a shared <c>[slots, kv_heads, capacity, head_dim]</c> buffer);
/// <see cref="StaticKv.StaticKvSlots"/> (static-kv-v1, batch 1 by contract) runs one slot after another.
/// Not thread-safe: the scheduler's own thread is the only caller.
/// </summary>
internal interface ISequenceSlots : IDisposable
{
    /// <summary>Number of slots (sequences that can be in flight at once).</summary>
    int SlotCount { get; }

    /// <summary>Tokens each slot's cache holds.</summary>
    int SlotCapacity { get; }

    /// <summary>Bytes of KV cache one token occupies (all layers, keys and values).</summary>
    long BytesPerToken { get; }

    /// <summary>Tokens in a slot's cache.</summary>
    int Length(int slot);

    /// <summary>The logits of the slot's last processed position, writable for samplers and constraints.</summary>
    Span<float> Logits(int slot);

    /// <summary>Keeps the first <paramref name="length"/> tokens of the slot's cache and forgets the rest.</summary>
    void Truncate(int slot, int length);

    /// <summary>Appends a prompt chunk to one slot (a batch of one); its last position's logits land in <see cref="Logits"/>.</summary>
    void Prefill(int slot, ReadOnlySpan<int> tokenIds);

    /// <summary>Appends one token to each listed slot (distinct, ascending); each slot's logits land in <see cref="Logits"/>.</summary>
    void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokenIds);

    /// <summary>Moves a sequence's cache, length and logits from one slot to an empty one.</summary>
    void Move(int from, int to);

    /// <summary>Copies the first <paramref name="tokens"/>.Length positions of a slot's cache out.</summary>
    KvSnapshot Save(int slot, int[] tokens);

    /// <summary>Replaces a slot's cache with the first <paramref name="length"/> positions of a snapshot.</summary>
    void Restore(int slot, KvSnapshot snapshot, int length);
}
