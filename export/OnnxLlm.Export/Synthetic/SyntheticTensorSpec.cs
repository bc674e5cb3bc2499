namespace OnnxLlm.Export.Synthetic;

/// <summary>One tensor of a synthetic checkpoint: PyTorch name, shape, and role.</summary>
/// <param name="Name">State-dict key, e.g. <c>model.layers.0.self_attn.q_proj.weight</c>.</param>
/// <param name="Shape">Dimensions, row-major; Linear weights are [out, in].</param>
/// <param name="Kind">Role, which selects the value formula.</param>
internal sealed record SyntheticTensorSpec(string Name, long[] Shape, SyntheticTensorKind Kind)
{
    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (count, dim) => checked(count * dim));

    /// <summary>The "in" of the value formula: the second dimension (fan-in of a Linear weight), or 1 for vectors.</summary>
    public long FanIn => Shape.Length >= 2 ? Shape[1] : 1;
}
