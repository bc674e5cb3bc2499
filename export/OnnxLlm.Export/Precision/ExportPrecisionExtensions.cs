namespace OnnxLlm.Export.Precision;

/// <summary>Facts about an <see cref="ExportPrecision"/>.</summary>
internal static class ExportPrecisionExtensions
{
    /// <summary>Bits per quantized Linear weight (4 or 8), or null for the float precisions.</summary>
    public static int? QuantizationBits(this ExportPrecision precision) => precision switch
    {
        ExportPrecision.Int4 => 4,
        ExportPrecision.Int8 => 8,
        _ => null,
    };
}
