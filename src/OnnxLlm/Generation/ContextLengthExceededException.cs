namespace OnnxLlm.Generation;

/// <summary>The prompt plus the requested output does not fit in the model's context window.</summary>
public sealed class ContextLengthExceededException : InvalidOperationException
{
    /// <summary>Creates the exception with the token counts involved.</summary>
    public ContextLengthExceededException(int promptTokens, int requestedOutputTokens, int contextLength)
        : base($"The prompt has {promptTokens} tokens and {requestedOutputTokens} output tokens were requested, " +
               $"{promptTokens + requestedOutputTokens} in all, but the model's context holds {contextLength}. " +
               "Shorten the conversation or lower MaxOutputTokens.")
    {
        PromptTokens = promptTokens;
        RequestedOutputTokens = requestedOutputTokens;
        ContextLength = contextLength;
    }

    /// <summary>Tokens in the prompt.</summary>
    public int PromptTokens { get; }

    /// <summary>Output tokens requested.</summary>
    public int RequestedOutputTokens { get; }

    /// <summary>The model's context length.</summary>
    public int ContextLength { get; }
}
