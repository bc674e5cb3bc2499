using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// One rule of a byte-level pushdown grammar. A node's progress lives in its <see cref="Frame"/> (phase and a
/// counter), never in the node, so one compiled grammar serves any number of concurrent parses.
/// </summary>
internal abstract class GrammarNode
{
    /// <summary>The node's index in its grammar (set when added).</summary>
    public int Id { get; internal set; }

    /// <summary>The node's frame before its first byte.</summary>
    public ulong StartFrame => Frame.Make(Id);

    /// <summary>
    /// Advances <paramref name="frame"/> by byte <paramref name="b"/> (−1: end of input); <paramref name="child"/>
    /// is the frame to push when the result is <see cref="StepResult.Push"/>.
    /// </summary>
    public abstract StepResult Step(ref ulong frame, int b, out ulong child);

    /// <summary>Adds the bytes this node's text can start with (used to dispatch unions).</summary>
    public abstract void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting);

    /// <summary>JSON whitespace as the grammar bounds it: one run of at most <paramref name="max"/> bytes per position.</summary>
    protected static StepResult Whitespace(ref ulong frame, int max)
    {
        int run = Frame.Whitespace(frame);
        if (run >= max) return StepResult.Reject;
        frame = Frame.WithWhitespace(frame, run + 1);
        return StepResult.Consumed;
    }

    protected static bool IsWhitespace(int b) => b is ' ' or '\n' or '\t' or '\r';
}
