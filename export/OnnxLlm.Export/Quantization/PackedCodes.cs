namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Reads and writes <c>bits</c>-wide unsigned codes packed low bits first into bytes — value i occupies
/// bits [i × bits, (i + 1) × bits) — the packing MatMulNBits uses for both B and its uint8 zero points.
/// </summary>
internal static class PackedCodes
{
    /// <summary>Stores <paramref name="code"/> as the <paramref name="index"/>-th value of <paramref name="packed"/> (whose bytes start zeroed).</summary>
    public static void Set(Span<byte> packed, int index, int bits, int code)
    {
        int bit = index * bits;
        packed[bit >> 3] |= (byte)(code << (bit & 7));
    }

    /// <summary>The <paramref name="index"/>-th value of <paramref name="packed"/>.</summary>
    public static int Get(ReadOnlySpan<byte> packed, int index, int bits)
    {
        int bit = index * bits;
        return (packed[bit >> 3] >> (bit & 7)) & ((1 << bits) - 1);
    }
}
