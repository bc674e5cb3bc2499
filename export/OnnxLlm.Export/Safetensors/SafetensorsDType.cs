namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// The element types the exporter reads from and writes to safetensors files. Qwen2 checkpoints are published in
/// these three; integer and float64 tensors are rejected rather than half-supported.
/// </summary>
internal enum SafetensorsDType
{
    /// <summary>bfloat16: the top 16 bits of an IEEE float32.</summary>
    BF16,

    /// <summary>IEEE 754 half precision.</summary>
    F16,

    /// <summary>IEEE 754 single precision.</summary>
    F32,
}

/// <summary>Size and naming helpers for <see cref="SafetensorsDType"/>.</summary>
internal static class SafetensorsDTypeExtensions
{
    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined dtype.</exception>
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BF16 or SafetensorsDType.F16 => 2,
        SafetensorsDType.F32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>The dtype's spelling in a safetensors header ("BF16", "F16", "F32").</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined dtype.</exception>
    public static string ToHeaderName(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BF16 => "BF16",
        SafetensorsDType.F16 => "F16",
        SafetensorsDType.F32 => "F32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>Parses a header dtype string; the format spells dtypes in upper case and so do we (no case folding).</summary>
    /// <returns><see langword="false"/> for any dtype the exporter does not support.</returns>
    public static bool TryParseHeaderName(string? name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "F32": dtype = SafetensorsDType.F32; return true;
            default: dtype = default; return false;
        }
    }
}
