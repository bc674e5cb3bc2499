using System.Numerics;

namespace OnnxLlm.Export.Quantization;

/// <summary>
/// Quantizes a Linear weight [N, K] (the checkpoint's [out, in] layout, which is already MatMulNBits' row
/// order) block-wise along K, following ONNX Runtime's own quantizer conventions so exported models
/// behave like ones from its tools:
/// <list type="bullet">
/// <item>symmetric: scale = m / −2^(bits−1) where m is the block's value of largest magnitude (sign kept), zero
/// point 2^(bits−1); the extreme value maps exactly onto code 0, which uses the full [−8, 7] range for int4;</item>
/// <item>asymmetric: the range [min(0, min w), max(0, max w)] spread over codes 0 … 2^bits − 1, scale =
/// range / (2^bits − 1), zero point round(−lo / scale) so 0.0 stays exactly representable.</item>
/// </list>
/// code = clamp(round(w / scale) + zero_point, 0, 2^bits − 1); padding past K (when K is not a multiple of
/// the block size) gets the zero point's code so it dequantizes to 0. Rows run in parallel.
/// </summary>
internal static class BlockQuantizer
{
    /// <summary>Quantizes <paramref name="weights"/> (row-major [N, K]) and measures the error of the result.</summary>
    /// <param name="weights">N × K values, row-major.</param>
    /// <param name="layout">Shapes, bit width and block size.</param>
    /// <param name="symmetric">Symmetric (implied zero point, no zero-point tensor) or asymmetric (explicit zero points).</param>
    /// <exception cref="ArgumentException"><paramref name="weights"/> does not hold N × K values or holds a non-finite value.</exception>
    public static (QuantizedMatrix Matrix, QuantizationErrorStats Error) Quantize(float[] weights, MatMulNBitsLayout layout, bool symmetric)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.LongLength != (long)layout.N * layout.K)
            throw new ArgumentException($"Expected {layout.N} × {layout.K} = {(long)layout.N * layout.K} weights but got {weights.LongLength}.", nameof(weights));

        var codes = new byte[(long)layout.N * layout.RowBytes];
        var scales = new float[(long)layout.N * layout.BlockCount];
        var zeroPoints = symmetric ? null : new byte[(long)layout.N * layout.ZeroPointBytesPerRow];
        var rowErrors = new QuantizationErrorStats[layout.N];
        int badRow = -1;

        Parallel.For(0, layout.N, n =>
        {
            var row = weights.AsSpan(n * layout.K, layout.K);
            if (!AllFinite(row)) { Volatile.Write(ref badRow, n); return; }
            var rowCodes = codes.AsSpan(n * layout.RowBytes, layout.RowBytes);
            var rowScales = scales.AsSpan(n * layout.BlockCount, layout.BlockCount);
            var rowZeroPoints = zeroPoints is null ? default : zeroPoints.AsSpan(n * layout.ZeroPointBytesPerRow, layout.ZeroPointBytesPerRow);
            rowErrors[n] = QuantizeRow(row, layout, symmetric, rowCodes, rowScales, rowZeroPoints);
        });
        if (badRow >= 0)
            throw new ArgumentException($"Row {badRow} holds a NaN or infinite weight, which has no quantized representation.", nameof(weights));

        var error = rowErrors[0];
        for (int n = 1; n < rowErrors.Length; n++) error = error.Combine(rowErrors[n]);
        return (new QuantizedMatrix(layout, codes, scales, zeroPoints), error);
    }

    private static QuantizationErrorStats QuantizeRow(ReadOnlySpan<float> row, MatMulNBitsLayout layout, bool symmetric,
        Span<byte> codes, Span<float> scales, Span<byte> zeroPoints)
    {
        int bits = layout.Bits, maxCode = layout.MaxCode;
        double maxError = 0, sumError = 0, sumWeight = 0;
        for (int b = 0; b < layout.BlockCount; b++)
        {
            int start = b * layout.BlockSize;
            var block = row.Slice(start, Math.Min(layout.BlockSize, layout.K - start));
            var (min, max) = MinMax(block);
            float scale;
            int zeroPoint;
            if (symmetric)
            {
                float extreme = Math.Abs(max) >= Math.Abs(min) ? max : min;
                zeroPoint = layout.DefaultZeroPoint;
                scale = extreme / -zeroPoint;
            }
            else
            {
                float lo = Math.Min(min, 0f), hi = Math.Max(max, 0f);
                scale = (hi - lo) / maxCode;
                zeroPoint = scale == 0f ? 0 : (int)Math.Clamp(MathF.Round(-lo / scale, MidpointRounding.AwayFromZero), 0f, maxCode);
                PackedCodes.Set(zeroPoints, b, bits, zeroPoint);
            }
            scales[b] = scale;
            float reciprocal = scale == 0f ? 0f : 1f / scale;

            var blob = codes.Slice(b * layout.BlobSize, layout.BlobSize);
            for (int i = 0; i < block.Length; i++)
            {
                float w = block[i];
                int code = (int)Math.Clamp(MathF.Round(w * reciprocal, MidpointRounding.AwayFromZero) + zeroPoint, 0f, maxCode);
                PackedCodes.Set(blob, i, bits, code);
                // The same expression the kernel evaluates, so the reported error is the model's error.
                double error = (code - zeroPoint) * scale - w;
                maxError = Math.Max(maxError, Math.Abs(error));
                sumError += error * error;
                sumWeight += (double)w * w;
            }
            for (int i = block.Length; i < layout.BlockSize; i++)
                PackedCodes.Set(blob, i, bits, zeroPoint);
        }
        return new QuantizationErrorStats(row.Length, maxError, sumError, sumWeight);
    }

    private static (float Min, float Max) MinMax(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        int i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<float>.Count)
        {
            var vmin = new Vector<float>(float.PositiveInfinity);
            var vmax = new Vector<float>(float.NegativeInfinity);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(values.Slice(i));
                vmin = Vector.Min(vmin, v);
                vmax = Vector.Max(vmax, v);
            }
            for (int j = 0; j < Vector<float>.Count; j++)
            {
                min = Math.Min(min, vmin[j]);
                max = Math.Max(max, vmax[j]);
            }
        }
        for (; i < values.Length; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        return (min, max);
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
