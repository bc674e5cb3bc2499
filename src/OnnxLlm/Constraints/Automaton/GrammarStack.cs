using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// A parse in progress: the stack of <see cref="Frame"/>s. Kept normalized (a sequence is never on top: it has
/// pushed its next child or been popped), so equal parses have equal stacks — the mask cache relies on it.
/// </summary>
internal sealed class GrammarStack
{
    /// <summary>Deepest nesting allowed; deeper input is rejected (bounds recursive schemas).</summary>
    public const int MaxDepth = 96;

    private readonly ulong[] _frames = new ulong[MaxDepth];

    public int Depth { get; private set; }

    public ReadOnlySpan<ulong> Frames => _frames.AsSpan(0, Depth);

    public ulong Top => _frames[Depth - 1];

    public static GrammarStack Start(Grammar grammar)
    {
        var stack = new GrammarStack();
        stack._frames[0] = grammar.Nodes[grammar.Root].StartFrame;
        stack.Depth = 1;
        stack.Normalize(grammar);
        return stack;
    }

    public GrammarStack Clone()
    {
        var copy = new GrammarStack();
        copy.CopyFrom(this);
        return copy;
    }

    public void CopyFrom(GrammarStack other)
    {
        other._frames.AsSpan(0, other.Depth).CopyTo(_frames);
        Depth = other.Depth;
    }

    /// <summary>Advances by one byte (−1: end of input); false (state undefined) when the byte is not allowed.</summary>
    public bool Feed(Grammar grammar, int b)
    {
        var nodes = grammar.Nodes;
        while (true)
        {
            if (Depth == 0) return b < 0;
            ref ulong top = ref _frames[Depth - 1];
            switch (nodes[Frame.Node(top)].Step(ref top, b, out ulong child))
            {
                case StepResult.Consumed:
                    Normalize(grammar);
                    return true;
                case StepResult.Done:
                    Depth--;
                    Normalize(grammar);
                    return true;
                case StepResult.Pop:
                    Depth--;
                    continue;
                case StepResult.Push:
                    if (Depth == MaxDepth) return false;
                    _frames[Depth++] = child;
                    continue;
                case StepResult.Again:
                    continue;
                default:
                    return false;
            }
        }
    }

    /// <summary>Ends the parse (the output is complete).</summary>
    public void Clear() => Depth = 0;

    /// <summary>A 64-bit hash of the frames (the mask cache's key).</summary>
    public ulong Hash()
    {
        ulong hash = 0xCBF29CE484222325UL ^ (ulong)Depth;
        for (int i = 0; i < Depth; i++)
        {
            hash = (hash ^ _frames[i]) * 0x9E3779B97F4A7C15UL;
            hash ^= hash >> 29;
        }
        return hash;
    }

    /// <summary>Pops the top frame (a token node the caller matched by id).</summary>
    public void PopToken(Grammar grammar)
    {
        Depth--;
        Normalize(grammar);
    }

    /// <summary>Expands sequences on top: push their next child, or pop them when finished.</summary>
    public void Normalize(Grammar grammar)
    {
        while (Depth > 0 && grammar.Nodes[Frame.Node(_frames[Depth - 1])] is SequenceNode sequence)
        {
            ref ulong top = ref _frames[Depth - 1];
            int next = Frame.Aux(top);
            if (next >= sequence.Children.Count)
            {
                Depth--;
                continue;
            }
            if (Depth == MaxDepth) return;
            top = Frame.With(top, 0, next + 1);
            _frames[Depth++] = Frame.Make(sequence.Children[next]);
        }
    }
}
