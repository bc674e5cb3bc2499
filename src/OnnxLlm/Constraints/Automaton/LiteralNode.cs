using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>Fixed bytes (the counter is the position).</summary>
internal sealed class LiteralNode : GrammarNode
{
    private readonly byte[] _bytes;

    public LiteralNode(byte[] bytes)
    {
        if (bytes.Length == 0) throw new ArgumentException("A literal needs at least one byte.", nameof(bytes));
        _bytes = bytes;
    }

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int position = Frame.Aux(frame);
        if (b != _bytes[position]) return StepResult.Reject;
        if (position + 1 == _bytes.Length) return StepResult.Done;
        frame = Frame.With(frame, 0, position + 1);
        return StepResult.Consumed;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) => firstBytes[_bytes[0]] = true;
}
