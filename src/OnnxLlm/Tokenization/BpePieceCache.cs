namespace OnnxLlm.Tokenization;

/// <summary>A fixed-size, thread-safe cache from a pre-tokenized piece of text to its token ids.</summary>
/// <remarks>
/// <para>
/// Text repeats the same pieces (" the", ",", "\n", "    ") over and over, and running BPE on a piece costs far more
/// than looking it up. The tokenizer is shared by every request of a model, so the cache must be safe for many
/// threads and must not grow without bound.
/// </para>
/// <para>
/// It is direct-mapped: a piece's hash picks one slot, which holds one immutable entry, and a newer piece that hashes
/// to the same slot simply replaces it. That bounds memory with no eviction bookkeeping, and because an entry is
/// published by a single reference write, readers and writers need no lock: a reader sees either the old entry or the
/// new one, each complete. Two threads missing on the same piece both compute it and the last write wins, which is
/// harmless since they computed the same ids. Lookups hash the span itself and allocate nothing.
/// </para>
/// </remarks>
internal sealed class BpePieceCache
{
    private readonly Entry?[] _slots;
    private readonly int _mask;

    /// <param name="slotCount">The number of slots, a power of two.</param>
    public BpePieceCache(int slotCount)
    {
        if (slotCount <= 0 || (slotCount & (slotCount - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(slotCount), slotCount, "The slot count must be a positive power of two.");
        }

        _slots = new Entry?[slotCount];
        _mask = slotCount - 1;
    }

    /// <summary>Looks <paramref name="piece"/> up.</summary>
    /// <param name="piece">The piece's text.</param>
    /// <param name="slot">The piece's slot, to hand to <see cref="Set"/> after a miss without hashing again.</param>
    /// <param name="ids">The cached ids (shared: never modify them), or null on a miss.</param>
    public bool TryGet(ReadOnlySpan<char> piece, out int slot, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out int[]? ids)
    {
        slot = string.GetHashCode(piece) & _mask;
        Entry? entry = Volatile.Read(ref _slots[slot]);
        if (entry is not null && piece.SequenceEqual(entry.Piece))
        {
            ids = entry.Ids;
            return true;
        }

        ids = null;
        return false;
    }

    /// <summary>Stores the ids of <paramref name="piece"/> in the slot <see cref="TryGet"/> returned for it.</summary>
    /// <param name="slot">The slot from <see cref="TryGet"/>.</param>
    /// <param name="piece">The piece's text.</param>
    /// <param name="ids">Its ids; the cache keeps the array, so the caller must not modify it afterwards.</param>
    public void Set(int slot, ReadOnlySpan<char> piece, int[] ids) =>
        Volatile.Write(ref _slots[slot], new Entry(piece.ToString(), ids));

    private sealed record Entry(string Piece, int[] Ids);
}
