using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// A JSON object with declared properties, written in declaration order; optional ones may be left out,
/// required ones may not, nothing else may appear. A fixed order keeps the grammar deterministic (no set of
/// seen keys in the state) and is still valid JSON for any consumer. Keys are matched in a trie of the
/// candidates from the current position up to the next required property.
/// </summary>
internal sealed class ObjectNode : GrammarNode
{
    private const int Start = 0, AfterOpen = 1, InKey = 2, BeforeColon = 3, AfterColon = 4, AfterValue = 5, AfterComma = 6;

    private readonly int[] _valueNodes;
    private readonly bool[] _requiredFrom; // any required property at index >= i
    private readonly ByteTrie[] _keyTries; // per start index
    private readonly int _maxWhitespace;

    /// <summary>Properties in declaration order: <paramref name="keys"/> are their names as JSON string bytes (quotes included).</summary>
    public ObjectNode(IReadOnlyList<byte[]> keys, int[] valueNodes, bool[] required, int maxWhitespace)
    {
        int n = keys.Count;
        if (n >= 1 << 15) throw new NotSupportedException("An object schema may declare at most 32767 properties.");
        _valueNodes = valueNodes;
        _maxWhitespace = maxWhitespace;
        _requiredFrom = new bool[n + 1];
        for (int i = n - 1; i >= 0; i--) _requiredFrom[i] = required[i] || _requiredFrom[i + 1];
        _keyTries = new ByteTrie[n];
        for (int i = 0; i < n; i++)
        {
            var trie = new ByteTrie();
            for (int j = i; j < n; j++)
            {
                trie.Add(keys[j], j);
                if (required[j]) break; // cannot skip past a required property
            }
            _keyTries[i] = trie;
        }
    }

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int phase = Frame.Phase(frame);
        int aux = Frame.Aux(frame);
        if (phase == Start)
        {
            if (b != '{') return StepResult.Reject;
            frame = Frame.With(frame, AfterOpen, 0);
            return StepResult.Consumed;
        }
        if (phase == InKey)
        {
            int start = aux >> 16;
            var trie = _keyTries[start];
            int next = trie.Child(aux & 0xFFFF, b);
            if (next < 0) return StepResult.Reject;
            int property = trie.Value(next); // keys end with '"', so none is a prefix of another
            frame = property >= 0 ? Frame.With(frame, BeforeColon, property) : Frame.With(frame, InKey, (start << 16) | next);
            return StepResult.Consumed;
        }
        if (IsWhitespace(b)) return Whitespace(ref frame, _maxWhitespace);
        switch (phase)
        {
            case AfterOpen:
                if (b == '}') return _requiredFrom[0] ? StepResult.Reject : StepResult.Done;
                return StartKey(ref frame, b, 0);
            case BeforeColon:
                if (b != ':') return StepResult.Reject;
                frame = Frame.With(frame, AfterColon, aux);
                return StepResult.Consumed;
            case AfterColon:
                if (b < 0) return StepResult.Reject;
                frame = Frame.With(frame, AfterValue, aux);
                child = Frame.Make(_valueNodes[aux]);
                return StepResult.Push;
            case AfterValue:
                if (b == '}') return _requiredFrom[aux + 1] ? StepResult.Reject : StepResult.Done;
                if (b != ',' || aux + 1 >= _valueNodes.Length) return StepResult.Reject;
                frame = Frame.With(frame, AfterComma, aux + 1);
                return StepResult.Consumed;
            default: // AfterComma
                return StartKey(ref frame, b, aux);
        }
    }

    private StepResult StartKey(ref ulong frame, int b, int start)
    {
        if (start >= _keyTries.Length) return StepResult.Reject;
        int node = _keyTries[start].Child(0, b);
        if (node < 0) return StepResult.Reject;
        frame = Frame.With(frame, InKey, (start << 16) | node);
        return StepResult.Consumed;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) => firstBytes['{'] = true;
}
