using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Onnx;

/// <summary>
/// Lets several graphs of one export share initializers: the first graph that needs a tensor writes it to the
/// external data file, later graphs get a copy of its <see cref="TensorProto"/> pointing at the same bytes.
/// That is how the Core ML decode and prefill graphs share one weight file.
/// </summary>
internal sealed class InitializerCache
{
    private readonly Dictionary<string, TensorProto> _written = new(StringComparer.Ordinal);

    /// <summary>Adds the tensor <paramref name="name"/> to <paramref name="graph"/>, writing it only the first time.</summary>
    public string Get(GraphBuilder graph, string name, Func<TensorProto> write)
    {
        if (!_written.TryGetValue(name, out var tensor))
        {
            tensor = write();
            if (tensor.Name != name)
                throw new InvalidOperationException($"Initializer written as '{tensor.Name}' but cached as '{name}'.");
            _written.Add(name, tensor);
        }
        return graph.Initializer(tensor.Clone());
    }
}
