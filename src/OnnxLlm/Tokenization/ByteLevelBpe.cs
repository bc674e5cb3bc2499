using System.Buffers;
using System.Text;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Byte-level BPE (GPT-2, Qwen2): encodes one pre-tokenized piece of text to token ids.
/// </summary>
/// <remarks>
/// <para>
/// A piece becomes its UTF-8 bytes, each byte the vocabulary token of its <see cref="ByteLevelAlphabet"/> character;
/// then the adjacent pair with the lowest merge rank is merged, again and again, until no adjacent pair has a merge.
/// When the same pair occurs more than once, the leftmost goes first. This is Hugging Face's <c>Word::merge_all</c>
/// (and Microsoft.ML.Tokenizers' port of it), so the ids are the same as theirs.
/// </para>
/// <para>
/// The symbols of the piece form a linked list over fixed slots, and candidate merges wait in a binary min-heap keyed
/// by (rank, slot). A merge only changes the pairs on either side of it, so only those two are pushed; entries made
/// stale by an earlier merge are recognised when popped (the pair at the slot no longer has that rank) and skipped.
/// That is O(n log n) in the piece's length, which matters because one piece can be long: a run of CJK text or of
/// spaces is a single piece.
/// </para>
/// <para>
/// A byte whose one-character token is missing from the vocabulary is dropped, as Hugging Face and
/// Microsoft.ML.Tokenizers do without an unknown token (real byte-level vocabularies contain all 256).
/// </para>
/// <para>
/// Pieces repeat a lot, so short ones are cached (<see cref="BpePieceCache"/>). The working memory of a merge is on
/// the stack for ordinary pieces and rented from the array pool for long ones, so encoding allocates nothing but the
/// caller's result and, for a cache miss, the cached copy. Immutable apart from the thread-safe cache, so one instance
/// serves every thread.
/// </para>
/// </remarks>
// The merge buffers are stackalloc'd for every cache miss; every element read has been written first, so zeroing
// them would be wasted work.
[System.Runtime.CompilerServices.SkipLocalsInit]
internal sealed class ByteLevelBpe
{
    /// <summary>Longer pieces are rarely repeated (CJK runs, long identifiers), so caching them would only evict useful ones.</summary>
    private const int MaxCachedPieceLength = 32;

    /// <summary>16,384 slots: a few MB at most, and enough for the working set of pieces of ordinary text.</summary>
    private const int CacheSlots = 16_384;

    /// <summary>Pieces of up to this many UTF-8 bytes are merged in stack memory (about 4.5 KB of it).</summary>
    private const int StackBytes = 128;

    private readonly int[] _byteIds;
    private readonly BpeMergeTable _merges;
    private readonly BpePieceCache _cache = new(CacheSlots);

    /// <summary>Builds the encoder from a byte-level vocabulary and its merges.</summary>
    /// <param name="vocabulary">Byte-level token string → id.</param>
    /// <param name="merges">The merges in priority order, each "left right".</param>
    /// <param name="mergesSource">The file the merges came from, named in error messages.</param>
    /// <exception cref="InvalidDataException">The merges do not fit the vocabulary (see <see cref="BpeMergeTable"/>).</exception>
    public ByteLevelBpe(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, string mergesSource)
    {
        _merges = new BpeMergeTable(vocabulary, merges, mergesSource);
        _byteIds = new int[256];
        for (int b = 0; b < 256; b++)
        {
            _byteIds[b] = vocabulary.TryGetValue(ByteLevelAlphabet.ByteToChar((byte)b).ToString(), out int id) ? id : -1;
        }
    }

    /// <summary>
    /// Encodes one piece and appends its ids to <paramref name="ids"/> (or, when it is null, only counts them).
    /// </summary>
    /// <param name="piece">One pre-token, free of lone surrogates (the caller has replaced them).</param>
    /// <param name="ids">Receives the ids; null to count only.</param>
    /// <returns>The number of ids of the piece.</returns>
    public int Encode(ReadOnlySpan<char> piece, List<int>? ids)
    {
        bool cacheable = piece.Length <= MaxCachedPieceLength;
        int slot = 0;
        if (cacheable && _cache.TryGet(piece, out slot, out int[]? cached))
        {
            ids?.AddRange(cached);
            return cached.Length;
        }

        int byteCount = Encoding.UTF8.GetByteCount(piece);
        byte[]? rentedBytes = null;
        int[]? rentedInts = null;
        long[]? rentedHeap = null;
        try
        {
            // Three ints per byte (symbol id, previous, next) and a heap of up to three entries per byte: the initial
            // pairs plus at most two new pairs per merge, and there are fewer merges than bytes.
            Span<byte> bytes = byteCount <= StackBytes ? stackalloc byte[StackBytes] : (rentedBytes = ArrayPool<byte>.Shared.Rent(byteCount));
            Span<int> work = byteCount <= StackBytes ? stackalloc int[3 * StackBytes] : (rentedInts = ArrayPool<int>.Shared.Rent(3 * byteCount));
            Span<long> heap = byteCount <= StackBytes ? stackalloc long[3 * StackBytes] : (rentedHeap = ArrayPool<long>.Shared.Rent(3 * byteCount));

            bytes = bytes[..Encoding.UTF8.GetBytes(piece, bytes)];
            Span<int> symbols = work[..byteCount];
            int count = Merge(bytes, symbols, work.Slice(byteCount, byteCount), work.Slice(2 * byteCount, byteCount), heap);
            ReadOnlySpan<int> result = symbols[..count];

            ids?.AddRange(result);
            if (cacheable)
            {
                _cache.Set(slot, piece, result.ToArray());
            }

            return count;
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedInts is not null) ArrayPool<int>.Shared.Return(rentedInts);
            if (rentedHeap is not null) ArrayPool<long>.Shared.Return(rentedHeap);
        }
    }

    /// <summary>Runs BPE over <paramref name="bytes"/>; the resulting ids are left in <paramref name="symbols"/>[..returned count].</summary>
    private int Merge(ReadOnlySpan<byte> bytes, Span<int> symbols, Span<int> previous, Span<int> next, Span<long> heap)
    {
        int count = 0;
        foreach (byte b in bytes)
        {
            int id = _byteIds[b];
            if (id >= 0)
            {
                symbols[count++] = id;
            }
        }

        // next[i] is -1 after the last live symbol and -2 for a symbol merged into its left neighbour (dead).
        for (int i = 0; i < count; i++)
        {
            previous[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }

        int heapSize = 0;
        for (int i = 0; i + 1 < count; i++)
        {
            if (_merges.TryGetMerge(symbols[i], symbols[i + 1], out int rank, out _))
            {
                Push(heap, ref heapSize, rank, i);
            }
        }

        while (heapSize > 0)
        {
            long top = Pop(heap, ref heapSize);
            int rank = (int)(top >> 32);
            int left = (int)top;
            int right = next[left];

            // Stale: the left symbol died, has no right neighbour any more, or the pair there changed since the push.
            if (right < 0 || !_merges.TryGetMerge(symbols[left], symbols[right], out int currentRank, out int merged) || currentRank != rank)
            {
                continue;
            }

            int after = next[right];
            symbols[left] = merged;
            next[left] = after;
            next[right] = -2;
            if (after >= 0)
            {
                previous[after] = left;
                if (_merges.TryGetMerge(merged, symbols[after], out int afterRank, out _))
                {
                    Push(heap, ref heapSize, afterRank, left);
                }
            }

            int before = previous[left];
            if (before >= 0 && _merges.TryGetMerge(symbols[before], merged, out int beforeRank, out _))
            {
                Push(heap, ref heapSize, beforeRank, before);
            }
        }

        // Slot 0 is never merged away (merges keep the left slot), so the list starts there; compacting in place is
        // safe because the write index never passes the read index.
        int written = 0;
        for (int i = count > 0 ? 0 : -1; i >= 0; i = next[i])
        {
            symbols[written++] = symbols[i];
        }

        return written;
    }

    // A binary min-heap of (rank << 32 | slot): ordering the packed longs orders by rank, then leftmost slot, which is
    // exactly the order Hugging Face applies merges in.
    private static void Push(Span<long> heap, ref int size, int rank, int slot)
    {
        long item = ((long)rank << 32) | (uint)slot;
        int i = size++;
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (heap[parent] <= item)
            {
                break;
            }

            heap[i] = heap[parent];
            i = parent;
        }

        heap[i] = item;
    }

    private static long Pop(Span<long> heap, ref int size)
    {
        long top = heap[0];
        long last = heap[--size];
        int i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
            {
                break;
            }

            if (child + 1 < size && heap[child + 1] < heap[child])
            {
                child++;
            }

            if (last <= heap[child])
            {
                break;
            }

            heap[i] = heap[child];
            i = child;
        }

        if (size > 0)
        {
            heap[i] = last;
        }

        return top;
    }
}
