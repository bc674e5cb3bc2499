namespace OnnxLlm.Tokenization;

/// <summary>
/// The merges of a BPE vocabulary as a lookup from an adjacent pair of token ids to the merge's rank (its position in
/// merges.txt; lower ranks merge first) and the id of the token the pair merges into.
/// </summary>
/// <remarks>
/// <para>
/// Keyed by ids rather than strings so that encoding never builds a string: a piece starts as the ids of its bytes
/// and every merge yields another id. Both ids are packed into one <see cref="long"/> key.
/// </para>
/// <para>
/// The lookup is the inner loop of BPE, so the table is its own open-addressing hash (linear probing, at most half
/// full) with Fibonacci hashing of the key. A <c>Dictionary&lt;long, …&gt;</c> would hash a key as
/// <c>left ^ right</c>, and since merges concentrate on the low ids of frequent tokens, that put many of Qwen's 151,387
/// merges into the same buckets: the first version of this class, built that way, encoded 2.4 times slower than
/// Microsoft.ML.Tokenizers.
/// </para>
/// <para>
/// Each rank belongs to exactly one pair (a pair listed twice is refused), which is why BPE never has to break a tie
/// between two different pairs. The table is immutable after construction and therefore safe to share between threads.
/// </para>
/// </remarks>
internal sealed class BpeMergeTable
{
    private const long Empty = -1; // ids are non-negative, so no key is negative

    private readonly long[] _keys;
    private readonly int[] _ranks;
    private readonly int[] _mergedIds;
    private readonly int _shift;

    /// <summary>Builds the table, checking every merge against the vocabulary.</summary>
    /// <param name="vocabulary">Token string → id.</param>
    /// <param name="merges">The merges in priority order, each "left right" (the readers have checked the shape).</param>
    /// <param name="mergesSource">The file the merges came from, named in error messages.</param>
    /// <exception cref="InvalidDataException">
    /// A merge names a token missing from the vocabulary, merges into one missing from it, or is listed twice.
    /// </exception>
    public BpeMergeTable(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, string mergesSource)
    {
        int capacity = (int)Math.Max(4, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)merges.Count * 2));
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)capacity);
        _keys = new long[capacity];
        Array.Fill(_keys, Empty);
        _ranks = new int[capacity];
        _mergedIds = new int[capacity];
        for (int rank = 0; rank < merges.Count; rank++)
        {
            string line = merges[rank];
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1)
            {
                throw Mismatch(mergesSource, rank, line, "it is not two tokens separated by one space");
            }

            string left = line[..space];
            string right = line[(space + 1)..];
            int leftId = IdOf(left);
            int rightId = IdOf(right);
            int mergedId = IdOf(left + right);

            // A second entry for the same pair would give it two ranks; Hugging Face refuses such files too.
            long key = Key(leftId, rightId);
            int slot = Find(key);
            if (_keys[slot] == key)
            {
                throw new InvalidDataException(
                    $"The merges in '{mergesSource}' cannot be used (is a merge listed twice?): merge {rank + 1} ('{line}') repeats an earlier merge of the same pair.");
            }

            _keys[slot] = key;
            _ranks[slot] = rank;
            _mergedIds[slot] = mergedId;

            int IdOf(string token) => vocabulary.TryGetValue(token, out int id)
                ? id
                : throw Mismatch(mergesSource, rank, line, $"the token '{token}' is not in the vocabulary");
        }
    }

    /// <summary>Looks up the merge of the adjacent tokens <paramref name="left"/> and <paramref name="right"/>.</summary>
    /// <returns>Whether the pair merges; if so, its <paramref name="rank"/> and the <paramref name="mergedId"/> it becomes.</returns>
    public bool TryGetMerge(int left, int right, out int rank, out int mergedId)
    {
        int slot = Find(Key(left, right));
        if (_keys[slot] != Empty)
        {
            rank = _ranks[slot];
            mergedId = _mergedIds[slot];
            return true;
        }

        rank = 0;
        mergedId = 0;
        return false;
    }

    /// <summary>The slot holding <paramref name="key"/>, or the empty slot where it would go.</summary>
    private int Find(long key)
    {
        int mask = _keys.Length - 1;
        int slot = (int)((ulong)key * 0x9E3779B97F4A7C15UL >> _shift);
        while (true)
        {
            long found = _keys[slot];
            if (found == key || found == Empty)
            {
                return slot;
            }

            slot = (slot + 1) & mask;
        }
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static InvalidDataException Mismatch(string mergesSource, int rank, string line, string problem) =>
        new($"The merges in '{mergesSource}' do not match the vocabulary: merge {rank + 1} ('{line}') cannot be used because {problem}.");
}
