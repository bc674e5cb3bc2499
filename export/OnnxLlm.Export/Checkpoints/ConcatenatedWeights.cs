namespace OnnxLlm.Export.Checkpoints;

/// <summary>
/// A checkpoint with extra tensors that are other tensors stacked along their first axis (Linear weights [out, in]
/// stacked into one [Σout, in], biases [out] into one [Σout]): the parts are read in place, so a packed projection
/// is exported without copying the checkpoint. Every other name reads through to the checkpoint underneath.
/// </summary>
internal sealed class ConcatenatedWeights : ICheckpointWeights
{
    private readonly ICheckpointWeights _inner;
    private readonly IReadOnlyDictionary<string, string[]> _parts;

    /// <param name="inner">The checkpoint.</param>
    /// <param name="concatenations">Each added tensor's name → the checkpoint tensors stacked into it, in order.</param>
    public ConcatenatedWeights(ICheckpointWeights inner, IReadOnlyDictionary<string, string[]> concatenations)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(concatenations);
        _inner = inner;
        _parts = concatenations;
    }

    public bool Contains(string name) =>
        _parts.TryGetValue(name, out var parts) ? parts.All(_inner.Contains) : _inner.Contains(name);

    public IReadOnlyList<long> GetShape(string name)
    {
        if (!_parts.TryGetValue(name, out var parts)) return _inner.GetShape(name);
        var first = _inner.GetShape(parts[0]);
        long rows = 0;
        foreach (var part in parts)
        {
            var shape = _inner.GetShape(part);
            if (shape.Count != first.Count || !shape.Skip(1).SequenceEqual(first.Skip(1)))
                throw new InvalidDataException(
                    $"Tensors {string.Join(", ", parts.Select(p => $"'{p}'"))} cannot be stacked into '{name}': '{part}' has shape " +
                    $"[{string.Join(", ", shape)}] where [*, {string.Join(", ", first.Skip(1))}] was expected.");
            rows = checked(rows + shape[0]);
        }
        return [rows, .. first.Skip(1)];
    }

    public void ReadAsFloat32(string name, long elementOffset, Span<float> destination)
    {
        if (!_parts.TryGetValue(name, out var parts))
        {
            _inner.ReadAsFloat32(name, elementOffset, destination);
            return;
        }
        // Stacking along the first axis of row-major tensors is plain concatenation of their flat elements.
        var lengths = parts.Select(p => _inner.GetShape(p).Aggregate(1L, (n, d) => checked(n * d))).ToArray();
        long total = lengths.Sum();
        if (elementOffset < 0 || elementOffset + destination.Length > total)
            throw new ArgumentOutOfRangeException(nameof(elementOffset),
                $"Elements [{elementOffset}, {elementOffset + destination.Length}) run past '{name}' ({total} elements).");
        long partStart = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            long from = Math.Max(elementOffset, partStart), to = Math.Min(elementOffset + destination.Length, partStart + lengths[i]);
            if (from < to)
                _inner.ReadAsFloat32(parts[i], from - partStart, destination.Slice((int)(from - elementOffset), (int)(to - from)));
            partStart += lengths[i];
        }
    }
}
