using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;

namespace OnnxLlm.Hub;

/// <summary>What to make of a pulled checkpoint.</summary>
public sealed record PullOptions
{
    /// <summary>Precision of the exported model (fp16 by default).</summary>
    public ExportPrecision Precision { get; init; } = ExportPrecision.Fp16;

    /// <summary>Graph target of the exported model.</summary>
    public ExportTarget Target { get; init; } = ExportTarget.Cpu;

    /// <summary>Ask the Hub where the revision points now even when a cached copy exists (default: a cached copy is used without network).</summary>
    public bool Refresh { get; init; }

    /// <summary>The cache folder name of the exported variant.</summary>
    public string Variant => $"{Precision.ToString().ToLowerInvariant()}-{Target.ToString().ToLowerInvariant()}";
}
