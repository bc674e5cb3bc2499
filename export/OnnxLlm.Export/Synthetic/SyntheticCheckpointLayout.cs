using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Qwen2;

namespace OnnxLlm.Export.Synthetic;

/// <summary>The tensors of a Qwen2 or Qwen3 checkpoint, as laid out by <c>shared/docs/synthetic-checkpoints.md</c>.</summary>
internal static class SyntheticCheckpointLayout
{
    /// <summary>
    /// Every tensor of a checkpoint for <paramref name="config"/>, in PyTorch module order (embedding, layers,
    /// final norm, untied lm_head) — the order Hugging Face uses to fill shards.
    /// </summary>
    public static IReadOnlyList<SyntheticTensorSpec> GetTensors(Qwen2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        long hidden = config.HiddenSize;
        long intermediate = config.IntermediateSize;
        long qWidth = (long)config.NumAttentionHeads * config.HeadDim;
        long kvWidth = (long)config.NumKeyValueHeads * config.HeadDim;
        long vocab = config.VocabSize;

        var tensors = new List<SyntheticTensorSpec>
        {
            new("model.embed_tokens.weight", [vocab, hidden], SyntheticTensorKind.Embedding),
        };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            string prefix = $"model.layers.{i}.";
            tensors.Add(new(prefix + "input_layernorm.weight", [hidden], SyntheticTensorKind.Norm));
            foreach (var (proj, width) in new[] { ("q_proj", qWidth), ("k_proj", kvWidth), ("v_proj", kvWidth) })
            {
                tensors.Add(new(prefix + $"self_attn.{proj}.weight", [width, hidden], SyntheticTensorKind.Linear));
                if (config.HasAttentionBias)
                    tensors.Add(new(prefix + $"self_attn.{proj}.bias", [width], SyntheticTensorKind.Bias));
            }
            tensors.Add(new(prefix + "self_attn.o_proj.weight", [hidden, qWidth], SyntheticTensorKind.ResidualProjection));
            if (config.HasQkNorm)
            {
                // Qwen3Attention declares q_norm and k_norm after o_proj.
                tensors.Add(new(prefix + Qwen2TensorNames.QNorm, [config.HeadDim], SyntheticTensorKind.Norm));
                tensors.Add(new(prefix + Qwen2TensorNames.KNorm, [config.HeadDim], SyntheticTensorKind.Norm));
            }
            tensors.Add(new(prefix + "post_attention_layernorm.weight", [hidden], SyntheticTensorKind.Norm));
            tensors.Add(new(prefix + "mlp.gate_proj.weight", [intermediate, hidden], SyntheticTensorKind.Linear));
            tensors.Add(new(prefix + "mlp.up_proj.weight", [intermediate, hidden], SyntheticTensorKind.Linear));
            tensors.Add(new(prefix + "mlp.down_proj.weight", [hidden, intermediate], SyntheticTensorKind.ResidualProjection));
        }
        tensors.Add(new("model.norm.weight", [hidden], SyntheticTensorKind.Norm));
        if (!config.TieWordEmbeddings)
            tensors.Add(new("lm_head.weight", [vocab, hidden], SyntheticTensorKind.Embedding));
        return tensors;
    }
}
