using OnnxLlm.Export.Precision;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// One exported form of a model: a precision, and for int4/int8 whether lm_head stays float and, optionally, the
/// MatMulNBits accuracy_level and block size. Written "int4", "int4-fhead", "int4-acc1", "int4-b128", "int4-fhead-acc0":
/// plain "int4" is the exporter's defaults (quantized head, accuracy level 4, block 32); "-fhead" keeps the float Gemm head;
/// "-asym" stores zero points; "-unpacked" (any precision, e.g. "fp32-unpacked") exports q, k and v as three projections
/// instead of one packed one.
/// </summary>
internal sealed record BenchmarkVariant(ExportPrecision Precision, bool QuantizeLmHead, int? AccuracyLevel = null, int? BlockSize = null,
    bool PackProjections = true, bool Asymmetric = false)
{
    public string Name => Precision.ToString().ToLowerInvariant() + (QuantizeLmHead || !IsQuantized ? "" : "-fhead") + (AccuracyLevel is int a ? $"-acc{a}" : "") +
                          (BlockSize is int b ? $"-b{b}" : "") + (Asymmetric ? "-asym" : "") + (PackProjections ? "" : "-unpacked");

    private bool IsQuantized => Precision is ExportPrecision.Int4 or ExportPrecision.Int8;

    public static BenchmarkVariant Parse(string text)
    {
        var parts = text.ToLowerInvariant().Split('-');
        var precision = Enum.Parse<ExportPrecision>(parts[0], ignoreCase: true);
        bool floatHead = false, pack = true, asymmetric = false;
        int? accuracy = null, block = null;
        foreach (var part in parts.Skip(1))
        {
            if (part == "fhead") floatHead = true;
            else if (part == "unpacked") pack = false;
            else if (part == "asym") asymmetric = true;
            else if (part.StartsWith("acc", StringComparison.Ordinal) && int.TryParse(part[3..], out int level)) accuracy = level;
            else if (part.StartsWith('b') && int.TryParse(part[1..], out int size)) block = size;
            else throw new ArgumentException($"'{text}': unknown variant suffix '{part}' (fhead, acc0…acc4, b16…b128, asym, unpacked).");
        }
        if ((floatHead || accuracy is not null || block is not null || asymmetric) && precision is not (ExportPrecision.Int4 or ExportPrecision.Int8))
            throw new ArgumentException($"'{text}': -fhead, -accN, -bN and -asym apply to int4 and int8 only.");
        return new BenchmarkVariant(precision, !floatHead, accuracy, block, pack, asymmetric);
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

    /// <summary>
    /// Times the decode table's whole row sequence is run (--rounds N); each row then reports its best round. On a
    /// shared machine a burst of someone else's work slows whichever rows it meets; interleaved rounds give every row
    /// the same chances of a quiet window, and the best round is the one least disturbed.
    /// </summary>
    public int Rounds { get; init; } = 1;
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

    /// <summary>Backends the decode table measures through the SDK (--backends onnxllm,genai; default both).</summary>
    public IReadOnlyList<OnnxLlm.Backends.InferenceBackend> Backends { get; init; } =
        [OnnxLlm.Backends.InferenceBackend.OnnxLlm, OnnxLlm.Backends.InferenceBackend.GenAI];

    /// <summary>
    /// llama.cpp rows of the decode table (--peers llamasharp,none; default llamasharp): the GGUF type matching each
    /// precision (fp16/fp32 → F16, int8 → Q8_0, int4 → Q4_0) via LLamaSharp; llama-bench rows come with <see cref="LlamaBenchPath"/>.
    /// </summary>
    public bool LlamaSharpPeer { get; init; } = true;

    /// <summary>A natively built llama-bench (--llama-bench PATH, or ONNXLLM_LLAMA_BENCH) run on the same GGUFs.</summary>
    public string? LlamaBenchPath { get; init; }

    /// <summary>Also measure the bare decode loop (DecoderState + sampler, no engine) per variant, in its own process.</summary>
    public bool BareLoop { get; init; }

    /// <summary>Set in a child process: measure one variant through the SDK on this backend (--sdk-child onnxllm|genai).</summary>
    public OnnxLlm.Backends.InferenceBackend? SdkChildBackend { get; init; }

    /// <summary>Set in a child process: measure one GGUF type via LLamaSharp for the decode table (--peer-decode-child f16|q8_0|q4_0).</summary>
    public string? PeerDecodeChildType { get; init; }

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
            Rounds = int.Parse(Value("--rounds") ?? "1"),
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
            Backends = (Value("--backends") ?? "onnxllm,genai").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(b => Enum.Parse<OnnxLlm.Backends.InferenceBackend>(b, ignoreCase: true)).ToArray(),
            LlamaSharpPeer = (Value("--peers") ?? "llamasharp") != "none",
            LlamaBenchPath = Value("--llama-bench"),
            BareLoop = Flag("--bare-loop"),
            SdkChildBackend = Value("--sdk-child") is { } b ? Enum.Parse<OnnxLlm.Backends.InferenceBackend>(b, ignoreCase: true) : null,
            PeerDecodeChildType = Value("--peer-decode-child"),
        };
    }
}
