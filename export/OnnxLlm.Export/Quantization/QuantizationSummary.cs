namespace OnnxLlm.Export.Quantization;

/// <summary>Formats an export's quantization error as a few console lines (used by the CLI).</summary>
internal static class QuantizationSummary
{
    /// <summary>Writes the settings, the overall error and the worst tensor to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, QuantizationReport report)
    {
        writer.WriteLine($"Quantization: int{report.Bits}, block {report.BlockSize}, {(report.Symmetric ? "symmetric" : "asymmetric")}, " +
            $"accuracy_level {report.AccuracyLevel}, lm_head {(report.LmHeadQuantized ? "quantized" : "float")}");
        writer.WriteLine($"  {report.Tensors.Count} tensors, {report.QuantizedWeights:N0} weights: max |error| {report.MaxAbsError:G4}, relative RMS error {report.RelativeRmsError:P3}");
        if (report.Worst is { } worst)
            writer.WriteLine($"  worst tensor: {worst.Name} (relative RMS {worst.RelativeRmsError:P3}, max |error| {worst.MaxAbsError:G4})");
    }
}
