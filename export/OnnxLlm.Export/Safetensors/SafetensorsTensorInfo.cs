namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// Where one tensor lives: its dtype and shape from the header, and its bytes as an absolute range of a file.
/// Instances come from <see cref="SafetensorsFile"/>, which has already checked that the range lies inside the file
/// and matches the shape.
/// </summary>
/// <param name="Name">Tensor name as written in the header (PyTorch state-dict key).</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar.</param>
/// <param name="FilePath">Full path of the file that holds the bytes.</param>
/// <param name="DataOffset">Absolute offset of the first byte in <paramref name="FilePath"/> (not relative to the data section).</param>
/// <param name="ByteLength">Number of bytes: <see cref="ElementCount"/> × element size.</param>
internal sealed record SafetensorsTensorInfo(
    string Name,
    SafetensorsDType DType,
    long[] Shape,
    string FilePath,
    long DataOffset,
    long ByteLength)
{
    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => ByteLength / DType.ElementSize();

    /// <summary>The shape as "[a, b]" for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
