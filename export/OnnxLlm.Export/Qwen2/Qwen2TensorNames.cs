namespace OnnxLlm.Export.Qwen2;

/// <summary>Hugging Face tensor names of a Qwen2 checkpoint.</summary>
internal static class Qwen2TensorNames
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int i, string suffix) => $"model.layers.{i}.{suffix}";
}
