using OnnxLlm.Export.Safetensors;

namespace OnnxLlm.Export.Checkpoints;

/// <summary>
/// <see cref="ICheckpointWeights"/> over a Hugging Face safetensors checkpoint (single file or sharded),
/// reading through the memory mapping so only the slice being converted is ever copied.
/// </summary>
internal sealed class CheckpointWeights : ICheckpointWeights, IDisposable
{
    private readonly SafetensorsCheckpoint _checkpoint;

    private CheckpointWeights(SafetensorsCheckpoint checkpoint) => _checkpoint = checkpoint;

    /// <summary>Opens <c>model.safetensors</c> or <c>model.safetensors.index.json</c> with its shards.</summary>
    public static CheckpointWeights Open(string directory) => new(SafetensorsCheckpoint.Open(directory));

    public bool Contains(string name) => _checkpoint.Contains(name);

    public IReadOnlyList<long> GetShape(string name) => _checkpoint.Get(name).Shape;

    public void ReadAsFloat32(string name, long elementOffset, Span<float> destination)
    {
        var info = _checkpoint.Get(name);
        ArgumentOutOfRangeException.ThrowIfNegative(elementOffset);
        if (elementOffset + destination.Length > info.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(destination),
                $"Elements {elementOffset}..{elementOffset + destination.Length} run past the end of '{name}' ({info.ElementCount} elements).");
        int size = info.DType.ElementSize();
        var bytes = _checkpoint.GetBytes(name).Slice(checked((int)(elementOffset * size)), checked(destination.Length * size));
        SafetensorsConversions.ToFloat32(bytes, info.DType, destination);
    }

    public void Dispose() => _checkpoint.Dispose();
}
