namespace OnnxLlm.Generation;

/// <summary>Why a generation ended.</summary>
internal enum GenerationFinishReason
{
    /// <summary>The model produced an end token, or a stop sequence appeared.</summary>
    Stop,

    /// <summary>The output token limit was reached.</summary>
    Length,
}
