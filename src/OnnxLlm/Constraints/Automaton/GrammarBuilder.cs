using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>Collects nodes (assigning ids) and freezes them into a <see cref="Grammar"/>.</summary>
internal sealed class GrammarBuilder
{
    private readonly List<GrammarNode?> _nodes = [];
    private readonly List<(UnionNode Union, string Path)> _unions = [];

    public int Add(GrammarNode node)
    {
        if (_nodes.Count >= Frame.MaxNodes) throw new NotSupportedException($"The grammar is too large (over {Frame.MaxNodes} nodes).");
        node.Id = _nodes.Count;
        _nodes.Add(node);
        if (node is UnionNode union) _unions.Add((union, ""));
        return node.Id;
    }

    /// <summary>Reserves an id for a node built later (a recursive <c>$ref</c>).</summary>
    public int Reserve()
    {
        _nodes.Add(null);
        return _nodes.Count - 1;
    }

    public void Fill(int id, GrammarNode node)
    {
        node.Id = id;
        _nodes[id] = node;
        if (node is UnionNode union) _unions.Add((union, ""));
    }

    /// <summary>Same as <see cref="NameUnion"/>, for a union placed with <see cref="Fill"/>.</summary>
    public void NameUnionAfterFill(int id, string path) => NameUnion(id, path);

    /// <summary>Notes the schema path of a union so an overlap error can name it.</summary>
    public void NameUnion(int id, string path)
    {
        int i = _unions.FindIndex(u => u.Union.Id == id);
        if (i >= 0) _unions[i] = (_unions[i].Union, path);
    }

    public GrammarNode this[int id] => _nodes[id] ?? throw new InvalidOperationException($"Grammar node {id} was reserved but never built.");

    public Grammar Build(int root)
    {
        var nodes = new GrammarNode[_nodes.Count];
        for (int i = 0; i < nodes.Length; i++) nodes[i] = this[i];
        var grammar = new Grammar(nodes, root);
        foreach (var (union, path) in _unions) union.Prepare(grammar, path);
        return grammar;
    }
}
