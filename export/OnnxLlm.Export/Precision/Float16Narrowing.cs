using System.Runtime.InteropServices;

namespace OnnxLlm.Export.Precision;

/// <summary>
/// Narrows float32 values (upcast exactly from bf16) to IEEE fp16. bf16 has fp32's exponent range, so a
/// checkpoint may hold values beyond fp16's ±65504: those are clamped to the largest finite fp16 rather
/// than turned into infinities that would poison every activation they touch.
/// </summary>
internal static class Float16Narrowing
{
    private const float MaxHalf = 65504f;

    /// <summary>Converts <paramref name="source"/> into <paramref name="destination"/>; returns how many values were clamped.</summary>
    public static long Narrow(ReadOnlySpan<float> source, Span<Half> destination)
    {
        if (destination.Length != source.Length)
            throw new ArgumentException("Destination length must equal source length.", nameof(destination));
        long clamped = 0;
        for (int i = 0; i < source.Length; i++)
        {
            float v = source[i];
            if (v > MaxHalf) { v = MaxHalf; clamped++; }
            else if (v < -MaxHalf) { v = -MaxHalf; clamped++; }
            destination[i] = (Half)v;
        }
        return clamped;
    }

    /// <summary>Converts and returns the fp16 bytes in a new array, with the clamp count.</summary>
    public static byte[] NarrowToBytes(ReadOnlySpan<float> source, out long clamped)
    {
        var bytes = new byte[source.Length * 2];
        clamped = Narrow(source, MemoryMarshal.Cast<byte, Half>(bytes.AsSpan()));
        return bytes;
    }
}
