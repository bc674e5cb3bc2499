namespace OnnxLlm.Export.Checkpoints;

/// <summary>
/// Read access to the named weight tensors of a checkpoint, whatever their storage format or dtype.
/// </summary>
internal interface ICheckpointWeights
{
    /// <summary>Whether the checkpoint holds a tensor of that name.</summary>
    bool Contains(string name);

    /// <summary>The tensor's shape (PyTorch order; Linear weights are [out, in]).</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    IReadOnlyList<long> GetShape(string name);

    /// <summary>
    /// Converts <c>destination.Length</c> elements of the tensor, starting at flat row-major index
    /// <paramref name="elementOffset"/>, to float32 (so huge tables can be streamed in slices).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The range runs past the tensor's end.</exception>
    void ReadAsFloat32(string name, long elementOffset, Span<float> destination);
}
