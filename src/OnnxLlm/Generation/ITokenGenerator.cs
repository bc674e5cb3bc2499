namespace OnnxLlm.Generation;

/// <summary>
/// The seam between the chat client and a backend that turns prompt token ids into generated tokens. Both backends
/// (<see cref="GenerationEngine"/>, our own loop, and the ONNX Runtime GenAI one) implement it with the same
/// <see cref="GenerationUpdate"/> contract, so template rendering, tool-call parsing, stop strings, output limits,
/// usage and finish reasons stay the chat client's code whichever backend runs the model.
/// </summary>
internal interface ITokenGenerator : IDisposable
{
    /// <summary>The model's context length (prompt + output).</summary>
    int ContextLength { get; }

    /// <summary>
    /// Generates a continuation of the request's prompt: one update per generated token (end tokens excepted), then
    /// a final update with the finish reason and token counts.
    /// </summary>
    /// <exception cref="ContextLengthExceededException">Prompt + MaxNewTokens exceeds the context length (thrown before anything runs).</exception>
    IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken = default);
}
