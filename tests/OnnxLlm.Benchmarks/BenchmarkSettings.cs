using OnnxLlm.Export.Precision;

namespace OnnxLlm.Benchmarks;

/// <summary>Command-line settings of the decode benchmark.</summary>
internal sealed record BenchmarkSettings
{
    public required IReadOnlyList<string> Configs { get; init; }
    public required IReadOnlyList<ExportPrecision> Precisions { get; init; }
    public int PromptTokens { get; init; } = 128;
    public int DecodeTokens { get; init; } = 64;
    public int Threads { get; init; } = 2;
    public int Repetitions { get; init; } = 3;
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "onnxllm-bench");
    public string JsonPath { get; init; } = "benchmark-results.json";

    /// <summary>"decode" (default) or "masking" (constrained-decoding mask cost).</summary>
    public string Mode { get; init; } = "decode";

    public static BenchmarkSettings Parse(string[] args)
    {
        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        return new BenchmarkSettings
        {
            Configs = (Value("--configs") ?? "tests/TestData/configs/qwen2.5-0.5b-instruct").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Precisions = (Value("--precisions") ?? "fp16,fp32").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => Enum.Parse<ExportPrecision>(p, ignoreCase: true)).ToArray(),
            PromptTokens = int.Parse(Value("--prompt") ?? "128"),
            DecodeTokens = int.Parse(Value("--decode") ?? "64"),
            Threads = int.Parse(Value("--threads") ?? "2"),
            Repetitions = int.Parse(Value("--repetitions") ?? "3"),
            WorkDirectory = Value("--work") ?? Path.Combine(Path.GetTempPath(), "onnxllm-bench"),
            JsonPath = Value("--json") ?? "benchmark-results.json",
            Mode = Value("--mode") ?? "decode",
        };
    }
}
