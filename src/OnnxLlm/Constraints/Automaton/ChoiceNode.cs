using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// One of several literals (enum and const values, true/false, a tool's name header); the counter is the
/// position in a byte trie. A literal may continue with its own node (<c>targets</c>): the frame is then
/// rewritten into that node, which is how a tool's name selects its argument schema.
/// </summary>
internal sealed class ChoiceNode : GrammarNode
{
    private readonly ByteTrie _trie = new();
    private readonly int[] _targets;

    /// <param name="literals">The alternatives (distinct).</param>
    /// <param name="targets">Per alternative, the node that follows it, or −1; null: none follows any.</param>
    public ChoiceNode(IReadOnlyList<byte[]> literals, int[]? targets = null)
    {
        if (literals.Count == 0) throw new ArgumentException("A choice needs at least one literal.", nameof(literals));
        for (int i = 0; i < literals.Count; i++)
        {
            if (literals[i].Length == 0) throw new ArgumentException("Choice literals cannot be empty.", nameof(literals));
            _trie.Add(literals[i], i); // a duplicate is harmless: the first one wins
        }
        _targets = targets ?? Enumerable.Repeat(-1, literals.Count).ToArray();
    }

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int node = Frame.Aux(frame);
        int next = _trie.Child(node, b);
        if (next >= 0)
        {
            int value = _trie.Value(next);
            if (value >= 0 && !_trie.HasChildren(next))
                return Finish(ref frame, value, consumed: true);
            frame = Frame.With(frame, 0, next);
            return StepResult.Consumed;
        }
        // A literal that is a prefix of another (enum [1, 10]) ends when the next byte cannot extend it.
        int done = _trie.Value(node);
        return done >= 0 ? Finish(ref frame, done, consumed: false) : StepResult.Reject;
    }

    private StepResult Finish(ref ulong frame, int value, bool consumed)
    {
        int target = _targets[value];
        if (target < 0) return consumed ? StepResult.Done : StepResult.Pop;
        frame = Frame.Make(target);
        return consumed ? StepResult.Consumed : StepResult.Again;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting)
    {
        foreach (byte b in _trie.FirstBytes) firstBytes[b] = true;
    }
}
