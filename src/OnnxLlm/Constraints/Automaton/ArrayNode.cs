using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>A JSON array of one item node with optional minItems/maxItems (the counter is the item count).</summary>
internal sealed class ArrayNode(int itemNode, int minItems, int maxItems, int maxWhitespace) : GrammarNode
{
    private const int Start = 0, AfterOpen = 1, AfterItem = 2, AfterComma = 3;

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int phase = Frame.Phase(frame);
        int count = Frame.Aux(frame);
        if (phase == Start)
        {
            if (b != '[') return StepResult.Reject;
            frame = Frame.With(frame, AfterOpen, 0);
            return StepResult.Consumed;
        }
        if (IsWhitespace(b)) return Whitespace(ref frame, maxWhitespace);
        switch (phase)
        {
            case AfterOpen:
                if (b == ']') return minItems == 0 ? StepResult.Done : StepResult.Reject;
                if (b < 0 || maxItems == 0) return StepResult.Reject;
                return PushItem(ref frame, 1, out child);
            case AfterItem:
                if (b == ']') return count >= minItems ? StepResult.Done : StepResult.Reject;
                if (b != ',' || count >= maxItems) return StepResult.Reject;
                frame = Frame.With(frame, AfterComma, count);
                return StepResult.Consumed;
            default: // AfterComma
                if (b < 0) return StepResult.Reject;
                return PushItem(ref frame, count + 1, out child);
        }
    }

    private StepResult PushItem(ref ulong frame, int count, out ulong child)
    {
        frame = Frame.With(frame, AfterItem, count);
        child = Frame.Make(itemNode);
        return StepResult.Push;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) => firstBytes['['] = true;
}
