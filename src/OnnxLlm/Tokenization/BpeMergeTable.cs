namespace OnnxLlm.Tokenization;

/// <summary>
/// The merges of a BPE vocabulary as a lookup from an adjacent pair of token ids to the merge's rank (its position in
/// merges.txt; lower ranks merge first) and the id of the token the pair merges into.
/// </summary>
/// <remarks>
/// <para>
/// Keyed by ids rather than strings so that encoding never builds a string: a piece starts as the ids of its bytes
/// and every merge yields another id. Both ids are packed into one <see cref="long"/> key, which hashes and compares
/// faster than a tuple.
/// </para>
/// <para>
/// Each rank belongs to exactly one pair (a pair listed twice is refused), which is why BPE never has to break a tie
/// between two different pairs. The table is immutable after construction and therefore safe to share between threads.
/// </para>
/// </remarks>
internal sealed class BpeMergeTable
{
    private readonly Dictionary<long, Merge> _merges;

    /// <summary>Builds the table, checking every merge against the vocabulary.</summary>
    /// <param name="vocabulary">Token string → id.</param>
    /// <param name="merges">The merges in priority order, each "left right" (the readers have checked the shape).</param>
    /// <param name="mergesSource">The file the merges came from, named in error messages.</param>
    /// <exception cref="InvalidDataException">
    /// A merge names a token missing from the vocabulary, merges into one missing from it, or is listed twice.
    /// </exception>
    public BpeMergeTable(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, string mergesSource)
    {
        _merges = new Dictionary<long, Merge>(merges.Count);
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
            if (!_merges.TryAdd(Key(leftId, rightId), new Merge(rank, mergedId)))
            {
                throw new InvalidDataException(
                    $"The merges in '{mergesSource}' cannot be used (is a merge listed twice?): merge {rank + 1} ('{line}') repeats an earlier merge of the same pair.");
            }

            int IdOf(string token) => vocabulary.TryGetValue(token, out int id)
                ? id
                : throw Mismatch(mergesSource, rank, line, $"the token '{token}' is not in the vocabulary");
        }
    }

    /// <summary>The number of merges.</summary>
    public int Count => _merges.Count;

    /// <summary>Looks up the merge of the adjacent tokens <paramref name="left"/> and <paramref name="right"/>.</summary>
    /// <returns>Whether the pair merges; if so, its <paramref name="rank"/> and the <paramref name="mergedId"/> it becomes.</returns>
    public bool TryGetMerge(int left, int right, out int rank, out int mergedId)
    {
        if (_merges.TryGetValue(Key(left, right), out Merge merge))
        {
            rank = merge.Rank;
            mergedId = merge.MergedId;
            return true;
        }

        rank = 0;
        mergedId = 0;
        return false;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static InvalidDataException Mismatch(string mergesSource, int rank, string line, string problem) =>
        new($"The merges in '{mergesSource}' do not match the vocabulary: merge {rank + 1} ('{line}') cannot be used because {problem}.");

    private readonly record struct Merge(int Rank, int MergedId);
}
