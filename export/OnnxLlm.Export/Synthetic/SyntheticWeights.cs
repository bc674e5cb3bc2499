using System.Runtime.CompilerServices;
using System.Text;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Safetensors;

namespace OnnxLlm.Export.Synthetic;

/// <summary>
/// The counter-based value generator of synthetic checkpoints. Every element is a pure function of
/// (tensor name, flat index, seed, config), so any element can be recomputed on its own, in any order or in
/// parallel, and every implementation of the spec produces the same bits.
/// </summary>
internal static class SyntheticWeights
{
    private const ulong FnvOffsetBasis = 0xcbf29ce484222325;
    private const ulong FnvPrime = 0x100000001b3;
    private const ulong Golden = 0x9E3779B97F4A7C15;

    /// <summary>FNV-1a-64 of the UTF-8 bytes of <paramref name="tensorName"/>, XOR <paramref name="seed"/>.</summary>
    public static ulong TensorKey(string tensorName, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(tensorName);
        ulong hash = FnvOffsetBasis;
        foreach (byte b in Encoding.UTF8.GetBytes(tensorName))
            hash = unchecked((hash ^ b) * FnvPrime);
        return hash ^ seed;
    }

    /// <summary>The uniform draw r ∈ [-1, 1) for element <paramref name="index"/> of the tensor with <paramref name="key"/> (SplitMix64 finalizer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Uniform(ulong key, long index)
    {
        unchecked
        {
            ulong z = key + ((ulong)index + 1) * Golden;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            // 24 random bits: every step below is exact in float64.
            return 2.0 * ((z >> 40) / 16777216.0) - 1.0;
        }
    }

    /// <summary>
    /// The stored bfloat16 bits of element <paramref name="index"/> of tensor <paramref name="tensorName"/>. Meant for
    /// spot checks: it rebuilds the tensor list on every call; use <see cref="Fill(SyntheticTensorSpec, ulong, int, long, Span{ushort})"/> for bulk.
    /// </summary>
    /// <exception cref="ArgumentException">The config's checkpoint has no such tensor.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the tensor.</exception>
    public static ushort GetBFloat16Bits(Qwen2Config config, string tensorName, long index, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tensorName);
        var spec = SyntheticCheckpointLayout.GetTensors(config).FirstOrDefault(t => t.Name == tensorName)
            ?? throw new ArgumentException($"A synthetic checkpoint for this config has no tensor '{tensorName}'.", nameof(tensorName));
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, spec.ElementCount);
        var scale = ValueScale.For(spec, config.NumHiddenLayers);
        return scale.ToBFloat16(Uniform(TensorKey(tensorName, seed), index));
    }

    /// <summary>The stored value of an element, widened exactly from bfloat16 to float32.</summary>
    /// <inheritdoc cref="GetBFloat16Bits" path="/exception"/>
    public static float GetValue(Qwen2Config config, string tensorName, long index, ulong seed) =>
        BFloat16Conversions.ToFloat32(GetBFloat16Bits(config, tensorName, index, seed));

    /// <summary>
    /// Writes the bfloat16 bits of elements <c>[start, start + destination.Length)</c> of <paramref name="spec"/>.
    /// Sequential; callers parallelize over disjoint ranges.
    /// </summary>
    public static void Fill(SyntheticTensorSpec spec, ulong seed, int numHiddenLayers, long start, Span<ushort> destination)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (start + destination.Length > spec.ElementCount)
            throw new ArgumentOutOfRangeException(nameof(destination), $"Range ends past the {spec.ElementCount} elements of '{spec.Name}'.");
        Fill(TensorKey(spec.Name, seed), ValueScale.For(spec, numHiddenLayers), start, destination);
    }

    internal static void Fill(ulong key, ValueScale scale, long start, Span<ushort> destination)
    {
        // One loop per formula keeps the kind test out of the per-element path (billions of elements).
        double a = scale.A, b = scale.B;
        switch (scale.Kind)
        {
            case SyntheticTensorKind.Norm:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16Conversions.FromFloat32((float)(1.0 + a * Uniform(key, start + i)));
                break;
            case SyntheticTensorKind.ResidualProjection:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16Conversions.FromFloat32((float)(Uniform(key, start + i) * a / b));
                break;
            default:
                for (int i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16Conversions.FromFloat32((float)(Uniform(key, start + i) * a));
                break;
        }
    }

    /// <summary>
    /// value = offset + r × a / b, with the spec's operations done in the spec's order so float64 rounding matches
    /// (r × √(3/in) / √(2L) is not always equal to r × (√(3/in) / √(2L))).
    /// </summary>
    internal readonly record struct ValueScale(SyntheticTensorKind Kind, double A, double B)
    {
        public static ValueScale For(SyntheticTensorSpec spec, int numHiddenLayers) => spec.Kind switch
        {
            SyntheticTensorKind.Norm => new(spec.Kind, 0.25, 1),
            SyntheticTensorKind.Bias or SyntheticTensorKind.Embedding => new(spec.Kind, 0.5, 1),
            SyntheticTensorKind.Linear => new(spec.Kind, Math.Sqrt(3.0 / spec.FanIn), 1),
            SyntheticTensorKind.ResidualProjection => new(spec.Kind, Math.Sqrt(3.0 / spec.FanIn), Math.Sqrt(2.0 * numHiddenLayers)),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Kind, "Unknown tensor kind."),
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ushort ToBFloat16(double r)
        {
            double value = Kind switch
            {
                SyntheticTensorKind.Norm => 1.0 + A * r,
                SyntheticTensorKind.ResidualProjection => r * A / B,
                _ => r * A,
            };
            return BFloat16Conversions.FromFloat32((float)value);
        }
    }
}
