using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// bfloat16 ⇄ float32 conversions. Widening is exact (bf16 is the top half of a float32), so it is a shift; the
/// span version is vectorized because the exporter widens gigabytes of weights.
/// </summary>
internal static class BFloat16Conversions
{
    /// <summary>Widens one bfloat16 (given as its raw bits) to float32, exactly.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat32(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// Rounds a float32 to the nearest bfloat16, ties to even — the rounding PyTorch uses for
    /// <c>tensor.to(torch.bfloat16)</c>. NaN stays NaN (the plain rounding formula could carry a NaN into infinity).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat32(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>Widens little-endian bfloat16 values to float32, exactly.</summary>
    /// <param name="source">Raw little-endian bytes, two per element (any alignment).</param>
    /// <param name="destination">Receives <c>source.Length / 2</c> values.</param>
    /// <exception cref="ArgumentException">The lengths do not match.</exception>
    public static void ToFloat32(ReadOnlySpan<byte> source, Span<float> destination)
    {
        if (source.Length != checked(destination.Length * 2))
            throw new ArgumentException(
                $"{source.Length} bytes of bfloat16 do not fill {destination.Length} float32 values.", nameof(destination));
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < destination.Length; i++)
                destination[i] = ToFloat32(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i)));
            return;
        }
        ToFloat32(MemoryMarshal.Cast<byte, ushort>(source), destination);
    }

    /// <summary>Widens bfloat16 bit patterns to float32, exactly.</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void ToFloat32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"{source.Length} bfloat16 values but room for {destination.Length}.", nameof(destination));
        ref ushort src = ref MemoryMarshal.GetReference(source);
        ref uint dst = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        nuint length = (nuint)source.Length;
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<ushort>.Count)
        {
            nuint last = length - (nuint)Vector256<ushort>.Count;
            for (; i <= last; i += (nuint)Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref src, i));
                Vector256.ShiftLeft(lower, 16).StoreUnsafe(ref dst, i);
                Vector256.ShiftLeft(upper, 16).StoreUnsafe(ref dst, i + (nuint)Vector256<uint>.Count);
            }
        }
        else if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<ushort>.Count)
        {
            nuint last = length - (nuint)Vector128<ushort>.Count;
            for (; i <= last; i += (nuint)Vector128<ushort>.Count)
            {
                var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref src, i));
                Vector128.ShiftLeft(lower, 16).StoreUnsafe(ref dst, i);
                Vector128.ShiftLeft(upper, 16).StoreUnsafe(ref dst, i + (nuint)Vector128<uint>.Count);
            }
        }
        for (; i < length; i++)
            Unsafe.Add(ref dst, i) = (uint)Unsafe.Add(ref src, i) << 16;
    }
}
