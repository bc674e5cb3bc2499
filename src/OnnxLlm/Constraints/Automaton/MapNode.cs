using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>A JSON object with free string keys and one value node (schemas without <c>properties</c>, and any-JSON).</summary>
internal sealed class MapNode(int keyNode, int valueNode, int maxWhitespace) : GrammarNode
{
    private const int Start = 0, AfterOpen = 1, AfterKey = 2, AfterColon = 3, AfterValue = 4, AfterComma = 5;

    /// <summary>Set after construction when the value node is the map's own ancestor (any-JSON recursion).</summary>
    public int ValueNode { get; set; } = valueNode;

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int phase = Frame.Phase(frame);
        if (phase == Start)
        {
            if (b != '{') return StepResult.Reject;
            frame = Frame.With(frame, AfterOpen, 0);
            return StepResult.Consumed;
        }
        if (IsWhitespace(b)) return Whitespace(ref frame, maxWhitespace);
        switch (phase)
        {
            case AfterOpen:
                if (b == '}') return StepResult.Done;
                goto case AfterComma;
            case AfterComma:
                if (b != '"') return StepResult.Reject;
                frame = Frame.With(frame, AfterKey, 0);
                child = Frame.Make(keyNode);
                return StepResult.Push;
            case AfterKey:
                if (b != ':') return StepResult.Reject;
                frame = Frame.With(frame, AfterColon, 0);
                return StepResult.Consumed;
            case AfterColon:
                if (b < 0) return StepResult.Reject;
                frame = Frame.With(frame, AfterValue, 0);
                child = Frame.Make(ValueNode);
                return StepResult.Push;
            default: // AfterValue
                if (b == '}') return StepResult.Done;
                if (b != ',') return StepResult.Reject;
                frame = Frame.With(frame, AfterComma, 0);
                return StepResult.Consumed;
        }
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) => firstBytes['{'] = true;
}
