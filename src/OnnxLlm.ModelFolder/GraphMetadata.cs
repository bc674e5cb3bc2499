namespace OnnxLlm.ModelFolder;

/// <summary>Metadata entries (ONNX <c>metadata_props</c>) that OnnxLlm's exporter writes into its graphs and runtimes read.</summary>
public static class GraphMetadata
{
    /// <summary>
    /// Key stating how the decoder reads its sequence length from <see cref="DecoderIoNames.AttentionMask"/>; the value
    /// <see cref="AttentionMaskCounted"/> means "from the count of ones, not the mask's width", which lets a runtime bind
    /// one fixed-width mask for a whole generation.
    /// </summary>
    public const string AttentionMaskKey = "onnxllm.attention_mask";

    /// <summary>The <see cref="AttentionMaskKey"/> value of graphs that count the mask's ones.</summary>
    public const string AttentionMaskCounted = "counted";

    /// <summary>
    /// Key ONNX Runtime's CoreML execution provider names its compiled-model cache by; OnnxLlm's coreml graphs set it to a
    /// hash of graph and weights so that a re-exported folder recompiles.
    /// </summary>
    public const string CoreMLCacheKey = "COREML_CACHE_KEY";
}
