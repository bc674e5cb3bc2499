using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>
/// A JSON number or integer with bounded digit counts (a random or rambling model cannot write digits
/// forever, and an integer always fits the target type; see <see cref="Schema.JsonGrammarOptions"/>).
/// A number ends where the next byte cannot extend it, so the byte goes back to the parent.
/// </summary>
internal sealed class NumberNode(bool integer, int maxIntegerDigits, int maxFractionDigits, int maxExponentDigits) : GrammarNode
{
    private const int Start = 0, Minus = 1, Zero = 2, Int = 3, Dot = 4, Fraction = 5, E = 6, ESign = 7, Exponent = 8;

    public override StepResult Step(ref ulong frame, int b, out ulong child)
    {
        child = 0;
        int digits = Frame.Aux(frame);
        bool digit = b is >= '0' and <= '9';
        switch (Frame.Phase(frame))
        {
            case Start:
                if (b == '-') return Go(ref frame, Minus, 0);
                goto case Minus;
            case Minus:
                if (b == '0') return Go(ref frame, Zero, 0);
                return digit ? Go(ref frame, Int, 1) : StepResult.Reject;
            case Zero:
                return FractionOrExponent(ref frame, b);
            case Int:
                if (digit) return digits < maxIntegerDigits ? Go(ref frame, Int, digits + 1) : StepResult.Reject;
                return FractionOrExponent(ref frame, b);
            case Dot:
                return digit ? Go(ref frame, Fraction, 1) : StepResult.Reject;
            case Fraction:
                if (digit) return digits < maxFractionDigits ? Go(ref frame, Fraction, digits + 1) : StepResult.Reject;
                if (b is 'e' or 'E' && maxExponentDigits > 0) return Go(ref frame, E, 0);
                return StepResult.Pop;
            case E:
                if (b is '+' or '-') return Go(ref frame, ESign, 0);
                goto case ESign;
            case ESign:
                return digit ? Go(ref frame, Exponent, 1) : StepResult.Reject;
            default: // Exponent
                if (digit) return digits < maxExponentDigits ? Go(ref frame, Exponent, digits + 1) : StepResult.Reject;
                return StepResult.Pop;
        }
    }

    private StepResult FractionOrExponent(ref ulong frame, int b)
    {
        if (!integer)
        {
            if (b == '.' && maxFractionDigits > 0) return Go(ref frame, Dot, 0);
            if (b is 'e' or 'E' && maxExponentDigits > 0) return Go(ref frame, E, 0);
        }
        // A digit after a leading zero or past the digit bound is not a number's continuation, and no parent accepts one either.
        return b is >= '0' and <= '9' ? StepResult.Reject : StepResult.Pop;
    }

    private static StepResult Go(ref ulong frame, int phase, int digits)
    {
        frame = Frame.With(frame, phase, digits);
        return StepResult.Consumed;
    }

    public override void AddFirstBytes(Grammar grammar, bool[] firstBytes, HashSet<int> visiting)
    {
        firstBytes['-'] = true;
        for (int d = '0'; d <= '9'; d++) firstBytes[d] = true;
    }
}
