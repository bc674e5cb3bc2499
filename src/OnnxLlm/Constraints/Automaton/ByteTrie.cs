using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>A small byte trie over a grammar's literals (enum values, property keys); node 0 is the root.</summary>
internal sealed class ByteTrie
{
    private readonly List<Dictionary<byte, int>> _children = [new()];
    private readonly List<int> _values = [-1];

    /// <summary>Adds <paramref name="bytes"/> ending in <paramref name="value"/>; false when already present.</summary>
    public bool Add(ReadOnlySpan<byte> bytes, int value)
    {
        int node = 0;
        foreach (byte b in bytes)
        {
            if (!_children[node].TryGetValue(b, out int next))
            {
                next = _children.Count;
                _children.Add([]);
                _values.Add(-1);
                _children[node][b] = next;
            }
            node = next;
        }
        if (_values[node] >= 0) return false;
        _values[node] = value;
        return true;
    }

    /// <summary>The child of <paramref name="node"/> along byte <paramref name="b"/>, or −1.</summary>
    public int Child(int node, int b) => b >= 0 && _children[node].TryGetValue((byte)b, out int next) ? next : -1;

    /// <summary>The value of a literal ending at <paramref name="node"/>, or −1.</summary>
    public int Value(int node) => _values[node];

    public bool HasChildren(int node) => _children[node].Count > 0;

    public IEnumerable<byte> FirstBytes => _children[0].Keys;
}
