using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// One pushdown-stack frame packed into a <see cref="ulong"/> so a parser state is a short array of integers:
/// cheap to copy while walking the token trie and cheap to hash as a mask-cache key.
/// Layout: bits 0–19 node id, 20–27 phase, 28–31 whitespace run length, 32–63 node-specific counter.
/// </summary>
internal static class Frame
{
    public const int MaxNodes = 1 << 20;

    public static ulong Make(int node, int phase = 0, int aux = 0) =>
        (uint)node | ((ulong)(uint)phase << 20) | ((ulong)(uint)aux << 32);

    public static int Node(ulong frame) => (int)(frame & 0xFFFFF);

    public static int Phase(ulong frame) => (int)((frame >> 20) & 0xFF);

    public static int Whitespace(ulong frame) => (int)((frame >> 28) & 0xF);

    public static int Aux(ulong frame) => (int)(frame >> 32);

    /// <summary>The same frame in another phase/counter, with its whitespace run reset.</summary>
    public static ulong With(ulong frame, int phase, int aux) => Make(Node(frame), phase, aux);

    public static ulong WithWhitespace(ulong frame, int whitespace) =>
        (frame & ~(0xFUL << 28)) | ((ulong)(uint)whitespace << 28);
}
