namespace OnnxLlm.ModelFolder.GenAi;

/// <summary>
/// One entry of <c>model.decoder.session_options.provider_options</c>: an execution provider GenAI appends to the
/// decoder's session, with its options (GenAI's builder writes e.g. <c>{"cuda": {"enable_cuda_graph": "0"}}</c> for a
/// CUDA build and nothing for a CPU one).
/// </summary>
public sealed record GenAiProviderOptions
{
    /// <summary>The provider as the file names it (<c>cuda</c>, <c>dml</c>, <c>QNN</c>, <c>WebGPU</c>, <c>cpu</c>...).</summary>
    public required string Name { get; init; }

    /// <summary>The provider's options, as strings (GenAI passes them to ONNX Runtime unchanged).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether this entry names the CPU provider (which every session has anyway).</summary>
    public bool IsCpu => string.Equals(Name, "cpu", StringComparison.OrdinalIgnoreCase);
}
