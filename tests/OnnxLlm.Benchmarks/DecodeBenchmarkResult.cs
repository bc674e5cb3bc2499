namespace OnnxLlm.Benchmarks;

/// <summary>One model × variant bare-loop measurement (medians over repetitions), taken in its own process unless --in-process.</summary>
internal sealed record DecodeBenchmarkResult
{
    public required string Model { get; init; }
    public required string Precision { get; init; }
    public required double PrefillTokensPerSecond { get; init; }
    public required double TimeToFirstTokenMs { get; init; }
    public required double DecodeTokensPerSecond { get; init; }
    /// <summary>Share of the bare decode loop's wall time spent outside ONNX Runtime's Run (sampling, bookkeeping).</summary>
    public required double OutsideRunFraction { get; init; }
    public required double LoopBytesPerToken { get; init; }
    public required double EngineBytesPerToken { get; init; }
    public required double EngineDecodeTokensPerSecond { get; init; }
    /// <summary>Weight bytes one decode step reads (see <see cref="WeightTraffic"/>).</summary>
    public required long WeightBytesPerToken { get; init; }
    /// <summary>WeightBytesPerToken × decode tok/s.</summary>
    public required double WeightGigabytesPerSecond { get; init; }
    public required double ExportSeconds { get; init; }
    public double? ProfileRunMsPerStep { get; init; }
    public double? ProfileKernelMsPerStep { get; init; }
    public IReadOnlyList<OpTime>? ProfileByOp { get; init; }
    public IReadOnlyList<OpTime>? ProfileTopNodes { get; init; }
    public double? ProfilePrefillRunMs { get; init; }
    public IReadOnlyList<OpTime>? ProfilePrefillByOp { get; init; }
}
