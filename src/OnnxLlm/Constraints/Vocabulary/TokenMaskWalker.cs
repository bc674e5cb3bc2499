using OnnxLlm.Constraints;
using OnnxLlm.Constraints.Automaton;

namespace OnnxLlm.Constraints.Vocabulary;

/// <summary>
/// Computes which tokens a parse state allows: walks the vocabulary trie depth first, advancing a copy of the
/// pushdown state one byte per trie edge, so only prefixes the grammar still accepts are visited. Inside a
/// string body it skips the walk: plain-text tokens come from a precomputed mask and only the few tokens that
/// contain a quote or backslash are checked. Holds scratch stacks; one walker per generation (not thread-safe).
/// </summary>
internal sealed class TokenMaskWalker(Grammar grammar, TokenVocabulary vocabulary)
{
    private readonly List<GrammarStack> _stacks = [];
    private readonly GrammarStack _scratch = new();
    private ulong[] _mask = [];

    /// <summary>Sets in <paramref name="mask"/> every ordinary token allowed after <paramref name="state"/> (not end or token-node ids).</summary>
    public void AddAllowed(GrammarStack state, ulong[] mask)
    {
        if (state.Depth == 0) return;
        ulong top = state.Top;
        var node = grammar.Nodes[Frame.Node(top)];
        if (node is TokenNode) return; // only its id fits, added by the caller
        if (node is StringNode text && text.TryGetBody(top, out int pending, out int remaining))
        {
            var body = vocabulary.StringBodyMask(pending, remaining);
            for (int i = 0; i < mask.Length; i++) mask[i] |= body[i];
            foreach (int id in vocabulary.StringBreakingTokens)
                if (Fits(state, vocabulary.Bytes(id)))
                    mask[id >> 6] |= 1UL << id;
            return;
        }
        _mask = mask;
        Stack(0).CopyFrom(state);
        Descend(0, 0);
        _mask = [];
    }

    private void Descend(int node, int depth)
    {
        var trie = vocabulary.Trie;
        var parent = Stack(depth);
        var child = Stack(depth + 1);
        int start = trie.ChildStart(node);
        int end = start + trie.ChildCount(node);
        for (int c = start; c < end; c++)
        {
            child.CopyFrom(parent);
            if (!child.Feed(grammar, trie.Byte(c))) continue;
            int token = trie.Token(c);
            if (token >= 0) _mask[token >> 6] |= 1UL << token;
            if (trie.ChildCount(c) > 0) Descend(c, depth + 1);
        }
    }

    private bool Fits(GrammarStack state, ReadOnlySpan<byte> bytes)
    {
        _scratch.CopyFrom(state);
        foreach (byte b in bytes)
            if (!_scratch.Feed(grammar, b)) return false;
        return true;
    }

    private GrammarStack Stack(int depth)
    {
        while (_stacks.Count <= depth) _stacks.Add(new GrammarStack());
        return _stacks[depth];
    }
}
