using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Vectorised "which elements are ≥ t" scans. They are how the sampler avoids sorting the vocabulary: a cheap
/// threshold first narrows 151,936 entries down to a short candidate list, and only that list is examined exactly.
/// </summary>
internal static class ThresholdScan
{
    private const int FlushEvery = 1024;

    /// <summary>Number of elements ≥ <paramref name="threshold"/> (NaN never counts).</summary>
    public static int CountAtLeast(ReadOnlySpan<float> values, float threshold)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        int count = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var t = new Vector<float>(threshold);
            Vector<int> lanes = Vector<int>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                // A true comparison lane is all ones (-1), so subtracting counts it.
                lanes -= Vector.GreaterThanOrEqual(Vector.LoadUnsafe(ref start, (nuint)i), t);
            }

            count = Vector.Sum(lanes);
        }

        for (; i < n; i++)
        {
            if (Unsafe.Add(ref start, i) >= threshold)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Sum and count of the elements ≥ <paramref name="threshold"/>. Float lanes are flushed into a double every
    /// <see cref="FlushEvery"/> elements, so a 151,936-long row sums with ~1e-7 relative error.
    /// </summary>
    public static double SumAtLeast(ReadOnlySpan<float> values, float threshold, out int count)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        double sum = 0;
        count = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var t = new Vector<float>(threshold);
            Vector<int> lanes = Vector<int>.Zero;
            while (i <= n - Vector<float>.Count)
            {
                Vector<float> acc = Vector<float>.Zero;
                int stop = Math.Min(n - Vector<float>.Count, i + FlushEvery);
                for (; i <= stop; i += Vector<float>.Count)
                {
                    var v = Vector.LoadUnsafe(ref start, (nuint)i);
                    var mask = Vector.GreaterThanOrEqual(v, t);
                    acc += Vector.ConditionalSelect(mask, v, Vector<float>.Zero);
                    lanes -= mask;
                }

                sum += Vector.Sum(acc);
            }

            count = Vector.Sum(lanes);
        }

        for (; i < n; i++)
        {
            float f = Unsafe.Add(ref start, i);
            if (f >= threshold)
            {
                sum += f;
                count++;
            }
        }

        return sum;
    }

    /// <summary>Copies the elements in [<paramref name="low"/>, <paramref name="high"/>) into <paramref name="destination"/>; returns the count.</summary>
    public static int GatherInRange(ReadOnlySpan<float> values, float low, float high, Span<float> destination)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        int count = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var lo = new Vector<float>(low);
            var hi = new Vector<float>(high);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.LoadUnsafe(ref start, (nuint)i);
                if ((Vector.GreaterThanOrEqual(v, lo) & Vector.LessThan(v, hi)) == Vector<int>.Zero)
                {
                    continue;
                }

                for (int j = i; j < i + Vector<float>.Count; j++)
                {
                    float f = Unsafe.Add(ref start, j);
                    if (f >= low && f < high)
                    {
                        destination[count++] = f;
                    }
                }
            }
        }

        for (; i < n; i++)
        {
            float f = Unsafe.Add(ref start, i);
            if (f >= low && f < high)
            {
                destination[count++] = f;
            }
        }

        return count;
    }

    /// <summary>
    /// Copies every element ≥ <paramref name="threshold"/> and its index (plus <paramref name="idOffset"/>, for
    /// slices of a row) into <paramref name="ids"/> / <paramref name="gathered"/>, in ascending index order, and
    /// returns how many there were. The destinations must be large enough (vocabulary-sized buffers always are).
    /// </summary>
    public static int GatherAtLeast(
        ReadOnlySpan<float> values, float threshold, Span<int> ids, Span<float> gathered, int idOffset = 0)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        int n = values.Length;
        int i = 0;
        int count = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var t = new Vector<float>(threshold);
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                // Most blocks hold no candidate at all; skip them with one compare.
                if (!Vector.GreaterThanOrEqualAny(Vector.LoadUnsafe(ref start, (nuint)i), t))
                {
                    continue;
                }

                for (int j = i; j < i + Vector<float>.Count; j++)
                {
                    float f = Unsafe.Add(ref start, j);
                    if (f >= threshold)
                    {
                        ids[count] = j + idOffset;
                        gathered[count] = f;
                        count++;
                    }
                }
            }
        }

        for (; i < n; i++)
        {
            float f = Unsafe.Add(ref start, i);
            if (f >= threshold)
            {
                ids[count] = i + idOffset;
                gathered[count] = f;
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Keeps, in place and in order, the entries whose value is ≥ <paramref name="threshold"/>; returns the new count.
    /// </summary>
    public static int CompactAtLeast(Span<int> ids, Span<float> values, float threshold)
    {
        int kept = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] >= threshold)
            {
                ids[kept] = ids[i];
                values[kept] = values[i];
                kept++;
            }
        }

        return kept;
    }
}
