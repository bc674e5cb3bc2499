namespace OnnxLlm.Generation.Sampling;

/// <summary>The model produced logits that cannot be sampled (NaN, +∞, or every token −∞).</summary>
public sealed class InvalidLogitsException : InvalidOperationException
{
    /// <summary>Creates the exception for a generation step.</summary>
    public InvalidLogitsException(int step, string problem)
        : base($"The model produced invalid logits at generation step {step}: {problem}. " +
               "The model's weights or export are likely broken (e.g. fp16 overflow); try an fp32 export.")
    {
        Step = step;
    }

    /// <summary>The generation step (0 = the first generated token).</summary>
    public int Step { get; }
}
