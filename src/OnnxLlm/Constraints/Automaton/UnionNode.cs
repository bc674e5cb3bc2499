using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// One of several alternatives told apart by their first byte (string vs number vs null, object vs array...):
/// on the first byte the frame becomes the chosen alternative's. Overlapping alternatives are rejected when
/// the grammar is built, so the union never needs to track more than one parse.
/// </summary>
internal sealed class UnionNode(int[] alternatives) : GrammarNode
{
    private readonly int[] _dispatch = new int[256];

    public IReadOnlyList<int> Alternatives => alternatives;

    /// <summary>Fills the first-byte table; throws when two alternatives can start with the same byte.</summary>
    public void Prepare(Grammar grammar, string path)
    {
        Array.Fill(_dispatch, -1);
        foreach (int alternative in alternatives)
        {
            var first = new bool[256];
            grammar.Nodes[alternative].AddFirstBytes(grammar, first, []);
            for (int b = 0; b < 256; b++)
            {
                if (!first[b]) continue;
                if (_dispatch[b] >= 0 && _dispatch[b] != alternative)
                    throw new NotSupportedException(
                        $"anyOf/oneOf/type alternatives at '{path}' overlap (both can start with '{(char)b}'); only alternatives of different JSON types are supported.");
                _dispatch[b] = alternative;
            }
        }
    }

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        if (b < 0 || _dispatch[b] < 0) return StepResult.Reject;
        frame = Frame.Make(_dispatch[b]);
        return StepResult.Again;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting)
    {
        if (!visiting.Add(Id)) return;
        foreach (int alternative in alternatives) grammar.Nodes[alternative].AddFirstBytes(grammar, firstBytes, visiting);
        visiting.Remove(Id);
    }
}
