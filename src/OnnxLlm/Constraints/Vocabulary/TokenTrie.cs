using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Vocabulary;

/// <summary>
/// The vocabulary as a byte trie in flat arrays (children of a node are contiguous, sorted by byte), so a
/// mask walk visits only prefixes the grammar still accepts and shares the work for common prefixes.
/// Node 0 is the root.
/// </summary>
internal sealed class TokenTrie
{
    private readonly int[] _childStart;
    private readonly int[] _childCount;
    private readonly byte[] _byte;
    private readonly int[] _token;

    /// <param name="tokens">(id, bytes) pairs; empty byte strings are skipped; of duplicates the first is kept.</param>
    public TokenTrie(IReadOnlyList<(int Id, byte[] Bytes)> tokens)
    {
        var sorted = tokens.Where(t => t.Bytes.Length > 0).ToArray();
        Array.Sort(sorted, (a, b) => a.Bytes.AsSpan().SequenceCompareTo(b.Bytes));
        int capacity = 1 + sorted.Sum(t => t.Bytes.Length);
        var childStart = new int[capacity];
        var childCount = new int[capacity];
        var bytes = new byte[capacity];
        var tokenIds = new int[capacity];
        Array.Fill(tokenIds, -1);
        int count = 1;
        int maxDepth = 0;

        // Breadth first, so each node's children get one contiguous block.
        var queue = new Queue<(int Node, int Lo, int Hi, int Depth)>();
        queue.Enqueue((0, 0, sorted.Length, 0));
        while (queue.Count > 0)
        {
            var (node, lo, hi, depth) = queue.Dequeue();
            maxDepth = Math.Max(maxDepth, depth);
            while (lo < hi && sorted[lo].Bytes.Length == depth)
            {
                if (tokenIds[node] < 0) tokenIds[node] = sorted[lo].Id;
                lo++;
            }
            childStart[node] = count;
            for (int i = lo; i < hi;)
            {
                byte b = sorted[i].Bytes[depth];
                int j = i + 1;
                while (j < hi && sorted[j].Bytes[depth] == b) j++;
                bytes[count] = b;
                queue.Enqueue((count, i, j, depth + 1));
                count++;
                i = j;
            }
            childCount[node] = count - childStart[node];
        }
        _childStart = childStart[..count];
        _childCount = childCount[..count];
        _byte = bytes[..count];
        _token = tokenIds[..count];
        NodeCount = count;
        MaxDepth = maxDepth;
    }

    public int NodeCount { get; }

    /// <summary>The longest token, in bytes.</summary>
    public int MaxDepth { get; }

    public int ChildStart(int node) => _childStart[node];

    public int ChildCount(int node) => _childCount[node];

    public byte Byte(int node) => _byte[node];

    /// <summary>The token spelled by the path to <paramref name="node"/>, or −1.</summary>
    public int Token(int node) => _token[node];
}
