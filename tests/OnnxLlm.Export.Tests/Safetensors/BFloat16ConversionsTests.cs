using OnnxLlm.Export.Safetensors;

namespace OnnxLlm.Export.Tests.Safetensors;

[TestClass]
public sealed class BFloat16ConversionsTests
{
    [TestMethod]
    [DataRow(0x3F800000u, (ushort)0x3F80, DisplayName = "1.0 exact")]
    [DataRow(0x3F808000u, (ushort)0x3F80, DisplayName = "tie rounds to even (down)")]
    [DataRow(0x3F818000u, (ushort)0x3F82, DisplayName = "tie rounds to even (up)")]
    [DataRow(0x3F808001u, (ushort)0x3F81, DisplayName = "above tie rounds up")]
    [DataRow(0x3F807FFFu, (ushort)0x3F80, DisplayName = "below tie rounds down")]
    [DataRow(0x7F7FFFFFu, (ushort)0x7F80, DisplayName = "float max overflows to infinity")]
    [DataRow(0xFF800000u, (ushort)0xFF80, DisplayName = "-infinity")]
    public void FromFloat32_RoundsToNearestEven(uint floatBits, ushort expected) =>
        Assert.AreEqual(expected, BFloat16Conversions.FromFloat32(BitConverter.UInt32BitsToSingle(floatBits)));

    [TestMethod]
    public void FromFloat32_KeepsNaN() =>
        Assert.IsTrue(float.IsNaN(BFloat16Conversions.ToFloat32(BFloat16Conversions.FromFloat32(BitConverter.UInt32BitsToSingle(0x7F800001)))));

    [TestMethod]
    [DataRow(0)]
    [DataRow(7)]
    [DataRow(16)]
    [DataRow(1001)]
    public void SpanWidening_MatchesScalarShift(int length)
    {
        // Odd lengths exercise the vector loop and its scalar tail; an offset of 1 byte tests unaligned input.
        var random = new Random(length);
        var bytes = new byte[2 * length + 1];
        random.NextBytes(bytes);
        var source = bytes.AsSpan(1);
        var actual = new float[length];
        BFloat16Conversions.ToFloat32(source, actual);
        for (int i = 0; i < length; i++)
        {
            uint expected = (uint)(source[2 * i] | source[2 * i + 1] << 8) << 16;
            Assert.AreEqual(expected, BitConverter.SingleToUInt32Bits(actual[i]), $"element {i}");
        }
    }

    [TestMethod]
    public void SpanWidening_RejectsMismatchedLengths() =>
        Assert.ThrowsExactly<ArgumentException>(() => BFloat16Conversions.ToFloat32(new byte[6], new float[4]));
}
