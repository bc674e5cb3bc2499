using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// xoshiro256** 1.0 (Blackman &amp; Vigna), seeded by expanding a 64-bit seed with SplitMix64 as the authors recommend.
/// </summary>
/// <remarks>
/// Why our own generator: <see cref="Random"/>'s seeded algorithm is an implementation detail that .NET may change,
/// and "same seed ⇒ same tokens" is a promise we make to users. This algorithm is fully specified here, so a
/// seed maps to the same sequence forever, on every platform. It is a mutable struct: keep it in a field, never
/// copy it by value, or the copies will repeat each other's numbers.
/// </remarks>
internal struct Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    public Xoshiro256StarStar(long seed)
    {
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        // SplitMix64 cannot produce four zero words from one stream, so the all-zero (stuck) state is unreachable.
    }

    /// <summary>A seed from the OS cryptographic RNG, for callers that did not choose one.</summary>
    public static long CreateRandomSeed()
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadInt64LittleEndian(bytes);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform double in [0, 1) with 53 random bits (the top bits, which are the strongest).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
