namespace OnnxLlm.Export.Synthetic;

/// <summary>The role of a tensor, which fixes how its uniform draws are scaled (see <see cref="SyntheticWeights"/>).</summary>
internal enum SyntheticTensorKind
{
    /// <summary>RMSNorm weights (<c>*layernorm.weight</c>, <c>model.norm.weight</c>): 1 + 0.25 r.</summary>
    Norm,

    /// <summary>q/k/v projection biases: 0.5 r.</summary>
    Bias,

    /// <summary><c>model.embed_tokens.weight</c> and <c>lm_head.weight</c>: 0.5 r.</summary>
    Embedding,

    /// <summary>Projections that write into the residual stream (o_proj, down_proj): r √(3/in) / √(2 layers).</summary>
    ResidualProjection,

    /// <summary>Every other Linear weight: r √(3/in).</summary>
    Linear,
}
