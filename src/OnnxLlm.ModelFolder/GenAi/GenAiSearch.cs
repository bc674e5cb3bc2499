namespace OnnxLlm.ModelFolder.GenAi;

/// <summary>
/// The <c>search</c> section of <c>genai_config.json</c>: the decoding defaults ONNX Runtime GenAI starts a generator
/// with. Fields absent from a file keep GenAI's own defaults.
/// </summary>
public sealed record GenAiSearch
{
    /// <summary>Sample (true) or take the most likely token (false).</summary>
    public bool DoSample { get; init; }

    /// <summary>Softmax temperature when sampling.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens when sampling (GenAI: 50 unless set; our exporter writes the author's value or 1).</summary>
    public int TopK { get; init; } = 50;

    /// <summary>Nucleus sampling threshold.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Repetition penalty (1 = none).</summary>
    public double RepetitionPenalty { get; init; } = 1.0;

    /// <summary>Longest sequence (prompt + output) a generator runs to.</summary>
    public int? MaxLength { get; init; }

    /// <summary>Shortest sequence before an end token may stop it.</summary>
    public int MinLength { get; init; }

    /// <summary>Beams of a beam search (1 = greedy or sampling).</summary>
    public int NumBeams { get; init; } = 1;

    /// <summary>Sequences returned per prompt.</summary>
    public int NumReturnSequences { get; init; } = 1;

    /// <summary>Whether past and present KV share one buffer of the full length (what GroupQueryAttention graphs expect).</summary>
    public bool PastPresentShareBuffer { get; init; }

    /// <summary>Beam search: diversity penalty.</summary>
    public double DiversityPenalty { get; init; }

    /// <summary>Beam search: stop when enough beams ended.</summary>
    public bool EarlyStopping { get; init; } = true;

    /// <summary>Beam search: length penalty.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>Forbid repeating n-grams of this size (0 = off).</summary>
    public int NoRepeatNgramSize { get; init; }
}
