using System.Numerics.Tensors;

namespace OnnxLlm.Generation.Sampling;

/// <summary>Rejects logits that cannot be sampled, at the cost of one vectorized sum in the normal case.</summary>
public static class LogitsGuard
{
    /// <summary>Throws <see cref="InvalidLogitsException"/> naming <paramref name="step"/> if any logit is NaN or +∞, or all are −∞.</summary>
    public static void ThrowIfInvalid(ReadOnlySpan<float> logits, int step)
    {
        // A finite sum proves every element finite; only a non-finite sum needs the element-wise look.
        if (float.IsFinite(TensorPrimitives.Sum(logits))) return;
        bool anyFinite = false;
        foreach (float v in logits)
        {
            if (float.IsNaN(v)) throw new InvalidLogitsException(step, "NaN");
            if (float.IsPositiveInfinity(v)) throw new InvalidLogitsException(step, "+infinity");
            anyFinite |= float.IsFinite(v);
        }
        if (!anyFinite) throw new InvalidLogitsException(step, "every logit is -infinity");
    }
}
