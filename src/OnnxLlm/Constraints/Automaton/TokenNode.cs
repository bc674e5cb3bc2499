using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// Exactly one vocabulary token (e.g. Qwen's single added token &lt;tool_call&gt;). Bytes never match it: the
/// mask allows the token id itself when this node is next, so the model cannot spell it out of pieces.
/// </summary>
internal sealed class TokenNode(int tokenId) : GrammarNode
{
    public int TokenId => tokenId;

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        return StepResult.Reject;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) { }
}
