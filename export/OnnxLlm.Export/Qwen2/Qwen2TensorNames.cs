namespace OnnxLlm.Export.Qwen2;

/// <summary>Hugging Face tensor names of a Qwen2 / Qwen3 checkpoint.</summary>
internal static class Qwen2TensorNames
{
    public const string Embedding = "model.embed_tokens.weight";
    public const string FinalNorm = "model.norm.weight";
    public const string LmHead = "lm_head.weight";

    /// <summary>Qwen3's per-head query RMSNorm weight [head_dim], relative to a layer.</summary>
    public const string QNorm = "self_attn.q_norm.weight";

    /// <summary>Qwen3's per-head key RMSNorm weight [head_dim], relative to a layer.</summary>
    public const string KNorm = "self_attn.k_norm.weight";

    public static string Layer(int i, string suffix) => $"model.layers.{i}.{suffix}";

    /// <summary>
    /// The exported head's slice of rows [<paramref name="start"/>, <paramref name="end"/>): an initializer over the
    /// bytes of the head (or of the tied table) already in the file, not a checkpoint tensor.
    /// </summary>
    public static string LmHeadRows(int start, int end) => $"{LmHead}.rows_{start}_{end}";
}
