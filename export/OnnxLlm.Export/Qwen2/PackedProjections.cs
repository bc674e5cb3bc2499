using OnnxLlm.Export.Checkpoints;
using N = OnnxLlm.Export.Qwen2.Qwen2TensorNames;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// The cpu graph's packed attention input projection: q, k and v stacked into one [q + 2·kv, hidden] weight (and
/// one bias), run as a single MatMul / MatMulNBits whose output GroupQueryAttention takes as packed QKV, as ONNX
/// Runtime GenAI's model builder does. One product of q+2·kv rows instead of three (two of them only kv wide) saves two
/// kernel launches per layer (ORT folds the bias Adds into the products either way) and changes no logit: measured
/// level to +5% decode, inside this VM's noise (docs/performance.md). Qwen3 stays unpacked: its per-head q/k norms need
/// q and k apart before GQA.
/// </summary>
internal static class PackedProjections
{
    /// <summary>Whether the cpu graph packs q/k/v for this architecture.</summary>
    public static bool PacksQkv(Qwen2Config config) => !config.HasQkNorm;

    /// <summary>The packed [q + 2·kv, hidden] weight of a layer.</summary>
    public static string QkvWeight(int layer) => N.Layer(layer, "self_attn.qkv_proj.weight");

    /// <summary>The packed [q + 2·kv] bias of a layer.</summary>
    public static string QkvBias(int layer) => N.Layer(layer, "self_attn.qkv_proj.bias");

    /// <summary>The checkpoint seen with the packed tensors added (read in place from q_proj, k_proj and v_proj).</summary>
    public static ICheckpointWeights Over(ICheckpointWeights checkpoint, Qwen2Config config)
    {
        var packed = new Dictionary<string, string[]>(StringComparer.Ordinal);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            packed[QkvWeight(i)] = [.. Projections(i, "weight")];
            if (config.HasAttentionBias) packed[QkvBias(i)] = [.. Projections(i, "bias")];
        }
        return new ConcatenatedWeights(checkpoint, packed);
    }

    private static IEnumerable<string> Projections(int layer, string kind) =>
        new[] { "q_proj", "k_proj", "v_proj" }.Select(p => N.Layer(layer, $"self_attn.{p}.{kind}"));
}
