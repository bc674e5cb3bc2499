namespace OnnxLlm.Export.CoreML;

/// <summary>
/// What the checker knows about one value of a graph: element type (ONNX enum), shape (null = unknown rank;
/// a dimension of −1 = dynamic), whether it is a constant initializer, and, for small int64 constants, their values.
/// </summary>
internal sealed record ValueFacts(int ElemType, long[]? Dims, bool IsConstant = false, long[]? Int64Values = null)
{
    public const long Dynamic = -1;

    public int? Rank => Dims?.Length;

    public bool IsStatic => Dims is not null && Dims.All(d => d >= 0);

    public static string Describe(long[]? dims) =>
        dims is null ? "unknown" : "[" + string.Join(", ", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
