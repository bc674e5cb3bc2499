namespace OnnxLlm.Export.Quantization;

/// <summary>
/// How far dequantized weights are from the originals: the largest absolute difference and the sums that
/// give the relative RMS error ‖ŵ − w‖₂ / ‖w‖₂. Sums (not ratios) are kept so tensors combine exactly.
/// </summary>
/// <param name="Elements">Weights compared.</param>
/// <param name="MaxAbsError">max |ŵ − w|.</param>
/// <param name="SumSquaredError">Σ (ŵ − w)².</param>
/// <param name="SumSquaredWeight">Σ w².</param>
internal readonly record struct QuantizationErrorStats(long Elements, double MaxAbsError, double SumSquaredError, double SumSquaredWeight)
{
    /// <summary>‖ŵ − w‖₂ / ‖w‖₂ (0 for an all-zero weight quantized exactly).</summary>
    public double RelativeRmsError => SumSquaredWeight > 0 ? Math.Sqrt(SumSquaredError / SumSquaredWeight) : Math.Sqrt(SumSquaredError);

    /// <summary>The statistics of both sets of weights together.</summary>
    public QuantizationErrorStats Combine(QuantizationErrorStats other) => new(
        Elements + other.Elements, Math.Max(MaxAbsError, other.MaxAbsError),
        SumSquaredError + other.SumSquaredError, SumSquaredWeight + other.SumSquaredWeight);

    /// <summary>Compares <paramref name="original"/> with <paramref name="dequantized"/> element by element.</summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    public static QuantizationErrorStats Measure(ReadOnlySpan<float> original, ReadOnlySpan<float> dequantized)
    {
        if (original.Length != dequantized.Length)
            throw new ArgumentException($"Lengths differ: {original.Length} original vs {dequantized.Length} dequantized values.", nameof(dequantized));
        double max = 0, sumErr = 0, sumW = 0;
        for (int i = 0; i < original.Length; i++)
        {
            double w = original[i], e = dequantized[i] - w;
            max = Math.Max(max, Math.Abs(e));
            sumErr += e * e;
            sumW += w * w;
        }
        return new QuantizationErrorStats(original.Length, max, sumErr, sumW);
    }
}
