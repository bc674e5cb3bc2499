namespace OnnxLlm.ModelFolder;

/// <summary>
/// The file names of a model folder (ONNX Runtime GenAI's layout plus OnnxLlm's two files), defined once for the
/// exporter that writes them and the runtimes that read them.
/// </summary>
public static class ModelFolderFiles
{
    /// <summary>ONNX Runtime GenAI's model description: shapes, I/O names, token ids, search defaults.</summary>
    public const string GenAiConfig = "genai_config.json";

    /// <summary>The decoder graph of a <c>cpu</c>-target folder.</summary>
    public const string DecoderGraph = "model.onnx";

    /// <summary>The weights every graph of the folder reads (ONNX external data).</summary>
    public const string WeightData = "model.onnx.data";

    /// <summary>The one-token decode graph of a static-kv-v1 (<c>coreml</c>-target) folder.</summary>
    public const string StaticDecodeGraph = "decoder_step.onnx";

    /// <summary>The prefill-chunk graph of a static-kv-v1 (<c>coreml</c>-target) folder.</summary>
    public const string StaticPrefillGraph = "decoder_prefill.onnx";

    /// <summary>The static-kv-v1 contract (<see cref="StaticKv.StaticKvContract"/>); present only in <c>coreml</c>-target folders.</summary>
    public const string StaticKvContract = "onnxllm_contract.json";

    /// <summary>The exporter's report of what it wrote (precision, quantization error per tensor); informational.</summary>
    public const string ExportReport = "onnxllm_export.json";

    /// <summary>The checkpoint author's generation settings (Hugging Face format), copied by the exporter.</summary>
    public const string GenerationConfig = "generation_config.json";
}
