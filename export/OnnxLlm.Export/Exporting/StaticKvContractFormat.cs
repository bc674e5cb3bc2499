namespace OnnxLlm.Export.Exporting;

/// <summary>
/// The fixed facts of the <c>static-kv-v1</c> contract file, shared by the exporter that writes it and the engine
/// that reads it.
/// </summary>
public static class StaticKvContractFormat
{
    /// <summary>The file's name in a model folder.</summary>
    public const string FileName = "onnxllm_contract.json";

    /// <summary>The contract id.</summary>
    public const string ContractName = "static-kv-v1";

    /// <summary>
    /// What the additive mask puts where a query may not look, unless the file says otherwise. Large enough that
    /// exp() of it after Softmax's max subtraction is exactly 0, yet finite in fp16 even after a score is added:
    /// Core ML may run an fp32 graph in fp16 on the Neural Engine, and −inf arithmetic there is best avoided. Finite
    /// also means no all-masked row becomes NaN.
    /// </summary>
    public const float MaskedValue = -1e4f;
}
