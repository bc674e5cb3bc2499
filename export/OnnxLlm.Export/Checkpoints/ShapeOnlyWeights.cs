using OnnxLlm.Export.Synthetic;

namespace OnnxLlm.Export.Checkpoints;

/// <summary>
/// The tensor names and shapes a Qwen2 config implies, with no values: enough to build (and statically check)
/// the graph of a 0.5B- or 1.5B-shaped model without gigabytes of weights. Reading values is refused.
/// </summary>
internal sealed class ShapeOnlyWeights : ICheckpointWeights
{
    private readonly Dictionary<string, long[]> _shapes;

    public ShapeOnlyWeights(Qwen2Config config) =>
        _shapes = SyntheticCheckpointLayout.GetTensors(config).ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);

    public bool Contains(string name) => _shapes.ContainsKey(name);

    public IReadOnlyList<long> GetShape(string name) =>
        _shapes.TryGetValue(name, out var shape) ? shape : throw new KeyNotFoundException($"No tensor '{name}'.");

    public void ReadAsFloat32(string name, long elementOffset, Span<float> destination) =>
        throw new NotSupportedException($"'{name}': a shape-only checkpoint has no values (graph-only build).");
}
