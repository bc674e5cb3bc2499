using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace OnnxLlm.Export.Safetensors;

/// <summary>Decodes raw tensor bytes of any supported dtype into float32.</summary>
internal static class SafetensorsConversions
{
    /// <summary>Converts <paramref name="source"/> (little-endian <paramref name="dtype"/> elements) into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The destination length is not the source's element count.</exception>
    public static void ToFloat32(ReadOnlySpan<byte> source, SafetensorsDType dtype, Span<float> destination)
    {
        long expected = (long)destination.Length * dtype.ElementSize();
        if (source.Length != expected)
            throw new ArgumentException(
                $"destination holds {destination.Length} values but the tensor has {source.Length / dtype.ElementSize()}.",
                nameof(destination));
        switch (dtype)
        {
            case SafetensorsDType.BF16:
                BFloat16Conversions.ToFloat32(source, destination);
                break;
            case SafetensorsDType.F16:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
                break;
            case SafetensorsDType.F32:
                if (BitConverter.IsLittleEndian)
                {
                    MemoryMarshal.Cast<byte, float>(source).CopyTo(destination);
                }
                else
                {
                    for (int i = 0; i < destination.Length; i++)
                        destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(4 * i));
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype.");
        }
    }
}
