using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>Children one after another (the frame's counter is the next child). Never sits on top of a normalized stack.</summary>
internal sealed class SequenceNode(int[] children) : GrammarNode
{
    public IReadOnlyList<int> Children => children;

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        int next = Frame.Aux(frame);
        child = 0;
        if (next >= children.Length) return StepResult.Pop;
        frame = Frame.With(frame, 0, next + 1);
        child = Frame.Make(children[next]);
        return StepResult.Push;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting)
    {
        if (children.Length > 0 && visiting.Add(Id))
        {
            grammar.Nodes[children[0]].AddFirstBytes(grammar, firstBytes, visiting);
            visiting.Remove(Id);
        }
    }
}
