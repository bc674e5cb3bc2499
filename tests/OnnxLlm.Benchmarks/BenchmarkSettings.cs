using OnnxLlm.Export.Precision;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// One exported form of a model: a precision, and for int4/int8 whether lm_head stays float and, optionally, the
/// MatMulNBits accuracy_level. Written "int4", "int4-fhead", "int4-acc1", "int4-fhead-acc0": plain "int4" is the
/// exporter's defaults (quantized head, accuracy level 4); "-fhead" keeps the float Gemm head.
/// </summary>
internal sealed record BenchmarkVariant(ExportPrecision Precision, bool QuantizeLmHead, int? AccuracyLevel = null)
{
    public string Name => Precision.ToString().ToLowerInvariant() + (QuantizeLmHead || !IsQuantized ? "" : "-fhead") + (AccuracyLevel is int a ? $"-acc{a}" : "");

    private bool IsQuantized => Precision is ExportPrecision.Int4 or ExportPrecision.Int8;

    public static BenchmarkVariant Parse(string text)
    {
        var parts = text.ToLowerInvariant().Split('-');
        var precision = Enum.Parse<ExportPrecision>(parts[0], ignoreCase: true);
        bool floatHead = false;
        int? accuracy = null;
        foreach (var part in parts.Skip(1))
        {
            if (part == "fhead") floatHead = true;
            else if (part.StartsWith("acc", StringComparison.Ordinal) && int.TryParse(part[3..], out int level)) accuracy = level;
            else throw new ArgumentException($"'{text}': unknown variant suffix '{part}' (fhead, acc0…acc4).");
        }
        if ((floatHead || accuracy is not null) && precision is not (ExportPrecision.Int4 or ExportPrecision.Int8))
            throw new ArgumentException($"'{text}': -fhead and -accN apply to int4 and int8 only.");
        return new BenchmarkVariant(precision, !floatHead, accuracy);
    }
}

/// <summary>Command-line settings of the decode benchmark.</summary>
internal sealed record BenchmarkSettings
{
    public required IReadOnlyList<string> Configs { get; init; }
    public required IReadOnlyList<BenchmarkVariant> Variants { get; init; }
    public int PromptTokens { get; init; } = 128;
    public int DecodeTokens { get; init; } = 64;
    public int Threads { get; init; } = 2;
    public int Repetitions { get; init; } = 3;
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "onnxllm-bench");
    public string JsonPath { get; init; } = "benchmark-results.json";

    /// <summary>"decode" (default), "masking" (constrained-decoding mask cost), "serving", "serving-peer" or "peer-check" (llama.cpp, Peers/).</summary>
    public string Mode { get; init; } = "decode";

    /// <summary>session.intra_op.allow_spinning through OnnxLlmOptions.AllowSpinning; null keeps ORT's default.</summary>
    public bool? Spinning { get; init; }

    /// <summary>Extra ORT session config entries (--session-config key=value,key=value), for experiments.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> SessionConfig { get; init; } = [];

    /// <summary>Also take an ORT per-op profile of a decode run (in its own process) and print where the time goes.</summary>
    public bool Profile { get; init; }

    /// <summary>Measure every model × variant in this process instead of one child process each (peak RSS then accumulates).</summary>
    public bool InProcess { get; init; }

    /// <summary>Set in a child process: measure the single config × variant and write the result here.</summary>
    public string? ChildResultPath { get; init; }

    /// <summary>Set in a child process: take the profile instead of the timings.</summary>
    public bool ChildProfileOnly { get; init; }

    /// <summary>GGUF types llama.cpp runs in --mode serving-peer (--peer-types f16,q8_0,q4_0).</summary>
    public IReadOnlyList<string> PeerTypes { get; init; } = ["f16", "q8_0", "q4_0"];

    /// <summary>Set in a serving-peer child process: measure the single peer type in this process.</summary>
    public bool PeerChild { get; init; }

    public static BenchmarkSettings Parse(string[] args)
    {
        string? Value(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        bool Flag(string name) => Array.IndexOf(args, name) >= 0;
        return new BenchmarkSettings
        {
            Configs = (Value("--configs") ?? "tests/TestData/configs/qwen2.5-0.5b-instruct").Split(',', StringSplitOptions.RemoveEmptyEntries),
            Variants = (Value("--precisions") ?? "fp16,fp32").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(BenchmarkVariant.Parse).ToArray(),
            PromptTokens = int.Parse(Value("--prompt") ?? "128"),
            DecodeTokens = int.Parse(Value("--decode") ?? "64"),
            Threads = int.Parse(Value("--threads") ?? "2"),
            Repetitions = int.Parse(Value("--repetitions") ?? "3"),
            WorkDirectory = Value("--work") ?? Path.Combine(Path.GetTempPath(), "onnxllm-bench"),
            JsonPath = Value("--json") ?? "benchmark-results.json",
            Mode = Value("--mode") ?? "decode",
            Spinning = Value("--spinning") is { } s ? bool.Parse(s) : null,
            Profile = Flag("--profile"),
            SessionConfig = (Value("--session-config") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(e => e.Split('=', 2)).Select(kv => KeyValuePair.Create(kv[0], kv[1])).ToArray(),
            InProcess = Flag("--in-process"),
            ChildResultPath = Value("--child-result"),
            ChildProfileOnly = Flag("--child-profile"),
            PeerTypes = (Value("--peer-types") ?? "f16,q8_0,q4_0").Split(',', StringSplitOptions.RemoveEmptyEntries),
            PeerChild = Flag("--peer-child"),
        };
    }
}
