namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// One tensor to be written by <see cref="SafetensorsWriter"/>: its header entry plus a callback that streams its
/// bytes, so a writer never needs a whole checkpoint (gigabytes) in memory.
/// </summary>
internal sealed class SafetensorsTensorSource
{
    /// <summary>Describes a tensor whose bytes are produced by <paramref name="writeData"/>.</summary>
    /// <param name="name">Tensor name; must not be <c>__metadata__</c>.</param>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (non-negative), row-major. The array is copied.</param>
    /// <param name="writeData">
    /// Writes exactly <see cref="ByteLength"/> little-endian bytes to the given stream; the writer checks the count.
    /// </param>
    /// <exception cref="ArgumentException">Empty or reserved name, or a negative dimension.</exception>
    /// <exception cref="OverflowException">The shape's byte size does not fit in 64 bits.</exception>
    public SafetensorsTensorSource(
        string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, Func<Stream, CancellationToken, ValueTask> writeData)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(writeData);
        if (name == SafetensorsHeaderParser.MetadataKey)
            throw new ArgumentException($"'{name}' is reserved for the header's metadata.", nameof(name));
        long elements = 1;
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"Tensor '{name}' has a negative dimension.", nameof(shape));
            elements = checked(elements * dim);
        }
        Name = name;
        DType = dtype;
        Shape = shape.ToArray();
        ByteLength = checked(elements * dtype.ElementSize());
        WriteData = writeData;
    }

    /// <summary>Tensor name.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafetensorsDType DType { get; }

    /// <summary>Dimensions, row-major.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Bytes the tensor occupies: element count × element size.</summary>
    public long ByteLength { get; }

    /// <summary>Streams the tensor's bytes.</summary>
    public Func<Stream, CancellationToken, ValueTask> WriteData { get; }

    /// <summary>A tensor whose bytes are already in memory (small tensors, tests).</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is not exactly the shape's byte size.</exception>
    public static SafetensorsTensorSource FromBytes(
        string name, SafetensorsDType dtype, ReadOnlySpan<long> shape, ReadOnlyMemory<byte> data)
    {
        var source = new SafetensorsTensorSource(name, dtype, shape, (stream, ct) => stream.WriteAsync(data, ct));
        if (source.ByteLength != data.Length)
            throw new ArgumentException(
                $"Tensor '{name}': {data.Length} bytes given but {dtype.ToHeaderName()} [{string.Join(", ", source.Shape)}] needs {source.ByteLength}.",
                nameof(data));
        return source;
    }
}
