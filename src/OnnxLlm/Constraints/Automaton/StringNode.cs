using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// A JSON string: escapes (\uXXXX outside the surrogate range D800–DFFF, so every output decodes), UTF-8
/// checked byte by byte (lead byte + continuation count), optional min/max length in characters (a code
/// point or an escape counts one). The counter packs the character count (bits 2+) and the pending
/// UTF-8 continuation bytes (bits 0–1); the count is kept at 0 when unbounded so states repeat in the mask cache.
/// </summary>
internal sealed class StringNode(int minLength, int maxLength) : GrammarNode
{
    public const int PhaseStart = 0, PhaseBody = 1, PhaseEscape = 2, PhaseHex = 3; // PhaseHex + digits read (0..3)

    private readonly bool _counted = minLength > 0 || maxLength < int.MaxValue;

    public int MinLength => minLength;

    public int MaxLength => maxLength;

    /// <summary>When the frame is inside the string body between characters' bytes: its UTF-8 pending count and the characters still allowed.</summary>
    public bool TryGetBody(ulong frame, out int pending, out int remaining)
    {
        pending = Frame.Aux(frame) & 3;
        remaining = _counted ? maxLength - (Frame.Aux(frame) >> 2) : int.MaxValue;
        return Frame.Phase(frame) == PhaseBody;
    }

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int phase = Frame.Phase(frame);
        int aux = Frame.Aux(frame);
        switch (phase)
        {
            case PhaseStart:
                if (b != '"') return StepResult.Reject;
                frame = Frame.With(frame, PhaseBody, 0);
                return StepResult.Consumed;
            case PhaseBody:
                return Body(ref frame, b, aux);
            case PhaseEscape:
                if (b is '"' or '\\' or '/' or 'b' or 'f' or 'n' or 'r' or 't')
                    frame = Frame.With(frame, PhaseBody, aux);
                else if (b == 'u')
                    frame = Frame.With(frame, PhaseHex, aux);
                else
                    return StepResult.Reject;
                return StepResult.Consumed;
            default:
                int digits = phase - PhaseHex;
                if (!IsHex(b) || (digits == 0 && b is 'd' or 'D')) return StepResult.Reject;
                frame = Frame.With(frame, digits == 3 ? PhaseBody : phase + 1, aux);
                return StepResult.Consumed;
        }
    }

    private StepResult Body(ref ulong frame, int b, int aux)
    {
        int pending = aux & 3;
        int count = aux >> 2;
        if (pending > 0)
        {
            if (b is < 0x80 or > 0xBF) return StepResult.Reject;
            frame = Frame.With(frame, PhaseBody, (count << 2) | (pending - 1));
            return StepResult.Consumed;
        }
        if (b == '"') return count >= minLength ? StepResult.Done : StepResult.Reject;
        if (b < 0x20 || b is > 0x7F and < 0xC2 or > 0xF4) return StepResult.Reject; // also −1: a string cannot end unclosed
        if (_counted && count >= maxLength) return StepResult.Reject;
        int nextCount = _counted ? count + 1 : 0;
        if (b == '\\')
        {
            frame = Frame.With(frame, PhaseEscape, nextCount << 2);
            return StepResult.Consumed;
        }
        int continuation = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
        frame = Frame.With(frame, PhaseBody, (nextCount << 2) | continuation);
        return StepResult.Consumed;
    }

    private static bool IsHex(int b) => b is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F';

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting) => firstBytes['"'] = true;
}
