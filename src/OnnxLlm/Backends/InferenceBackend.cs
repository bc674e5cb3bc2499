namespace OnnxLlm.Backends;

/// <summary>Which runtime generates tokens for a loaded model (<see cref="OnnxLlmOptions.Backend"/>).</summary>
public enum InferenceBackend
{
    /// <summary>
    /// Choose per folder and platform: OnnxLlm's own loop for folders it can run on the CPU or Core ML (it batches
    /// concurrent requests and reuses prompt prefixes), ONNX Runtime GenAI for folders whose graph needs inputs our
    /// loop does not feed, or when <see cref="OnnxLlmOptions.GenAiProvider"/> names a non-CPU GenAI provider.
    /// </summary>
    Auto,

    /// <summary>OnnxLlm's own generation loop over ONNX Runtime (<see cref="Generation.GenerationEngine"/>).</summary>
    OnnxLlm,

    /// <summary>
    /// ONNX Runtime GenAI (Microsoft.ML.OnnxRuntimeGenAI): its model runtime and KV cache, with OnnxLlm's tokenizer,
    /// chat template, stop handling and constraints around it. One GenAI generator per request.
    /// </summary>
    GenAI,
}
