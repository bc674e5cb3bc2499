namespace OnnxLlm.Benchmarks;

/// <summary>One model × precision measurement (medians over repetitions).</summary>
internal sealed record DecodeBenchmarkResult
{
    public required string Model { get; init; }
    public required string Precision { get; init; }
    public required double PrefillTokensPerSecond { get; init; }
    public required double TimeToFirstTokenMs { get; init; }
    public required double DecodeTokensPerSecond { get; init; }
    public required double LoopBytesPerToken { get; init; }
    public required double EngineBytesPerToken { get; init; }
    public required double EngineDecodeTokensPerSecond { get; init; }
    public required double PeakWorkingSetMiB { get; init; }
    public required double ExportSeconds { get; init; }
}
