using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Small SIMD kernels for the per-token hot path that TensorPrimitives either lacks or (measured on .NET 10 with
/// System.Numerics.Tensors 10.0.x) runs several times slower: a plain float sum, a fused shift-and-scale, and
/// "first index equal to a value". Reductions keep four independent accumulators because a single accumulator makes
/// the loop wait on the add latency instead of memory.
/// </summary>
internal static class VectorKernels
{
    /// <summary>Sum of <paramref name="values"/> (float lanes, reduced in double at the end).</summary>
    public static double Sum(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int w = Vector<float>.Count;
        int i = 0;
        double sum = 0;
        if (Vector.IsHardwareAccelerated && n >= 4 * w)
        {
            Vector<float> a0 = Vector<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i <= n - (4 * w); i += 4 * w)
            {
                a0 += Vector.LoadUnsafe(ref start, (nuint)i);
                a1 += Vector.LoadUnsafe(ref start, (nuint)(i + w));
                a2 += Vector.LoadUnsafe(ref start, (nuint)(i + (2 * w)));
                a3 += Vector.LoadUnsafe(ref start, (nuint)(i + (3 * w)));
            }

            Vector<float> all = (a0 + a1) + (a2 + a3);
            for (int lane = 0; lane < w; lane++)
            {
                sum += all[lane];
            }
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref start, i);
        }

        return sum;
    }

    /// <summary>In place: <c>x = (x + shift) × scale</c>. With <c>shift = -max</c> the maximum maps to exactly 0.</summary>
    public static void ShiftScale(Span<float> values, float shift, float scale)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<float>(shift);
            var m = new Vector<float>(scale);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                ((Vector.LoadUnsafe(ref start, (nuint)i) + s) * m).StoreUnsafe(ref start, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            ref float x = ref Unsafe.Add(ref start, i);
            x = (x + shift) * scale;
        }
    }

    /// <summary>Index of the first element equal to <paramref name="value"/> (numeric equality), or -1.</summary>
    public static int IndexOfFirst(ReadOnlySpan<float> values, float value)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var target = new Vector<float>(value);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                if (Vector.EqualsAny(Vector.LoadUnsafe(ref start, (nuint)i), target))
                {
                    break; // the scalar loop below pinpoints the lane
                }
            }
        }

        for (; i < n; i++)
        {
            if (Unsafe.Add(ref start, i) == value)
            {
                return i;
            }
        }

        return -1;
    }
}
