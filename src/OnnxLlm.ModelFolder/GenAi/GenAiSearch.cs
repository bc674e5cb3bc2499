namespace OnnxLlm.ModelFolder.GenAi;

/// <summary>
/// The <c>search</c> section of <c>genai_config.json</c>: the decoding defaults ONNX Runtime GenAI starts a generator
/// with. The sampling fields are null where a file leaves them out, so a reader can tell "the file says 1.0" from
/// "the file says nothing" (GenAI's own default, given on each property, applies then); <see cref="GenAiConfig.Save"/>
/// writes every field.
/// </summary>
public sealed record GenAiSearch
{
    /// <summary>Sample (true) or take the most likely token (false); null when the file does not say (GenAI: false).</summary>
    public bool? DoSample { get; init; }

    /// <summary>Softmax temperature when sampling; null when the file does not say (GenAI: 1.0).</summary>
    public double? Temperature { get; init; }

    /// <summary>
    /// Keep only the k most likely tokens when sampling; null when the file does not say (GenAI: 50, which is also
    /// what GenAI's model builder writes when the checkpoint sets none; OnnxLlm's exporter writes the author's value or 1).
    /// </summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling threshold; null when the file does not say (GenAI: off, which 1.0 also means).</summary>
    public double? TopP { get; init; }

    /// <summary>Repetition penalty (1 = none); null when the file does not say (GenAI: 1.0).</summary>
    public double? RepetitionPenalty { get; init; }

    /// <summary>Longest sequence (prompt + output) a generator runs to; null or 0: the context length (GenAI's rule).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Shortest sequence (prompt + output, GenAI's count) before an end token may stop it.</summary>
    public int MinLength { get; init; }

    /// <summary>Beams of a beam search (1 = greedy or sampling).</summary>
    public int NumBeams { get; init; } = 1;

    /// <summary>Sequences returned per prompt.</summary>
    public int NumReturnSequences { get; init; } = 1;

    /// <summary>
    /// Whether past and present KV share one buffer of the full length; null when the file does not say (GenAI: false).
    /// GenAI's model builder writes true exactly when the graph's attention is GroupQueryAttention (the layout OnnxLlm's
    /// loop binds) and false for other attention ops.
    /// </summary>
    public bool? PastPresentShareBuffer { get; init; }

    /// <summary>Beam search: diversity penalty.</summary>
    public double DiversityPenalty { get; init; }

    /// <summary>Beam search: stop when enough beams ended.</summary>
    public bool EarlyStopping { get; init; } = true;

    /// <summary>Beam search: length penalty.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    /// <summary>Forbid repeating n-grams of this size (0 = off).</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>GenAI's random seed for sampling (-1 or null: random); OnnxLlm takes seeds per request instead.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>GenAI's prefill chunk size (null: one chunk); OnnxLlm chunks prefill by its own option.</summary>
    public int? ChunkSize { get; init; }
}
