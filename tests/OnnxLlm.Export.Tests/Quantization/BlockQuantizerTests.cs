using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// The C# quantizer against the MatMulNBits specification: exact bytes for hand-worked blocks, and the
/// round trip through <see cref="BlockDequantizer"/> (written from the spec) within the rounding bound.
/// </summary>
[TestClass]
public sealed class BlockQuantizerTests
{
    [TestMethod]
    public void SymmetricInt4_PacksLowNibbleFirst_WithTheLargestMagnitudeOnCodeZero()
    {
        // w_i = (i − 8) / 2: the largest magnitude is −4, so scale = −4 / −8 = 0.5 and code_i = i exactly.
        var row = Enumerable.Range(0, 16).Select(i => (i - 8) * 0.5f).ToArray();
        var (matrix, error) = BlockQuantizer.Quantize(row, MatMulNBitsLayout.Create(1, 16, 4, 16), symmetric: true);

        CollectionAssert.AreEqual(new byte[] { 0x10, 0x32, 0x54, 0x76, 0x98, 0xBA, 0xDC, 0xFE }, matrix.Codes);
        CollectionAssert.AreEqual(new[] { 0.5f }, matrix.Scales);
        Assert.IsNull(matrix.ZeroPoints);
        Assert.AreEqual(0.0, error.MaxAbsError, "every value is on the grid");
        CollectionAssert.AreEqual(row, BlockDequantizer.Dequantize(matrix));
    }

    [TestMethod]
    public void AsymmetricInt4_PacksZeroPointsTwoPerByte_AndPadsEachRowToAByte()
    {
        // 2 rows × 3 blocks of 16: zero points take ceil(3 × 4 / 8) = 2 bytes per row, the 4th nibble unused.
        // Block b of row r holds values in [0, 15 × (b + 1)] offset by −(r + 1) × (b + 1): zero point r + 1.
        const int K = 48;
        var weights = new float[2 * K];
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < K; k++)
            {
                int b = k / 16;
                weights[r * K + k] = ((k % 16) - (r + 1)) * (b + 1);
            }
        var (matrix, error) = BlockQuantizer.Quantize(weights, MatMulNBitsLayout.Create(2, K, 4, 16), symmetric: false);

        Assert.IsNotNull(matrix.ZeroPoints);
        CollectionAssert.AreEqual(new byte[] { 0x11, 0x01, 0x22, 0x02 }, matrix.ZeroPoints);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 1f, 2f, 3f }, matrix.Scales);
        Assert.AreEqual(0.0, error.MaxAbsError, "every value is on its block's grid");
        CollectionAssert.AreEqual(weights, BlockDequantizer.Dequantize(matrix));
    }

    [TestMethod]
    [DataRow(4, 32, true)]
    [DataRow(4, 32, false)]
    [DataRow(4, 16, true)]
    [DataRow(4, 128, false)]
    [DataRow(8, 32, true)]
    [DataRow(8, 64, false)]
    public void RoundTrip_StaysWithinTheRoundingBound_IncludingAPaddedLastBlock(int bits, int blockSize, bool symmetric)
    {
        const int N = 37, K = 200; // 200 is not a multiple of any block size offered
        var weights = RandomWeights.Normal(N * K, seed: bits * 1000 + blockSize);
        var layout = MatMulNBitsLayout.Create(N, K, bits, blockSize);
        var (matrix, reported) = BlockQuantizer.Quantize(weights, layout, symmetric);
        var restored = BlockDequantizer.Dequantize(matrix);

        for (int n = 0; n < N; n++)
            for (int k = 0; k < K; k++)
            {
                float scale = Math.Abs(matrix.Scales[n * layout.BlockCount + k / blockSize]);
                // Rounding is within half a step; symmetric quantization clips the side opposite its extreme
                // value by up to one more half step (code 2^bits would be needed), hence a full step there.
                float bound = (symmetric ? 1.0f : 0.5f) * scale * 1.0001f + 1e-7f;
                float diff = Math.Abs(restored[n * K + k] - weights[n * K + k]);
                Assert.IsLessThanOrEqualTo(bound, diff, $"row {n}, k {k}");
            }

        // The error the exporter reports is the error of what the kernel will see.
        var measured = QuantizationErrorStats.Measure(weights, restored);
        Assert.AreEqual(measured.MaxAbsError, reported.MaxAbsError, 1e-9);
        Assert.AreEqual(measured.RelativeRmsError, reported.RelativeRmsError, 1e-6);
        Assert.AreEqual((long)N * K, reported.Elements);
        // Normal weights: int4 blocks keep ~10 % relative RMS error, int8 well under 1 %.
        Assert.IsLessThanOrEqualTo(bits == 4 ? 0.15 : 0.01, reported.RelativeRmsError);
    }

    [TestMethod]
    public void AllZeroBlock_DequantizesToExactZeros()
    {
        var weights = new float[64];
        weights[40] = 0.25f; // the second block is not zero, the first is
        var (matrix, error) = BlockQuantizer.Quantize(weights, MatMulNBitsLayout.Create(1, 64, 4, 32), symmetric: true);
        Assert.AreEqual(0f, matrix.Scales[0]);
        CollectionAssert.AreEqual(weights, BlockDequantizer.Dequantize(matrix));
        Assert.AreEqual(0.0, error.MaxAbsError);
    }

    [TestMethod]
    public void NonFiniteWeight_IsRejectedNamingTheRow()
    {
        var weights = new float[3 * 32];
        weights[2 * 32 + 5] = float.NaN;
        var ex = Assert.ThrowsExactly<ArgumentException>(() => BlockQuantizer.Quantize(weights, MatMulNBitsLayout.Create(3, 32, 4, 32), symmetric: true));
        Assert.AreEqual("weights", ex.ParamName);
        StringAssert.Contains(ex.Message, "Row 2");
    }

    [TestMethod]
    public void Layout_RejectsWhatMatMulNBitsRejects()
    {
        Assert.AreEqual("blockSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MatMulNBitsLayout.Create(4, 64, 4, 24)).ParamName);
        Assert.AreEqual("blockSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MatMulNBitsLayout.Create(4, 64, 4, 8)).ParamName);
        Assert.AreEqual("bits", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MatMulNBitsLayout.Create(4, 64, 3, 32)).ParamName);
        Assert.AreEqual("k", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MatMulNBitsLayout.Create(4, 0, 4, 32)).ParamName);
    }

    [TestMethod]
    public void Options_RejectUnsupportedValues_NamingTheProperty()
    {
        Assert.AreEqual("BlockSize", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new QuantizationOptions { BlockSize = 256 }.Validate()).ParamName);
        Assert.AreEqual("AccuracyLevel", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new QuantizationOptions { AccuracyLevel = 5 }.Validate()).ParamName);
    }
}
