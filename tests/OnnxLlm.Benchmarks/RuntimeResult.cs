namespace OnnxLlm.Benchmarks;

/// <summary>
/// One row of the side-by-side decode table: a model at one precision on one runtime (our loop or GenAI through the
/// SDK, llama.cpp via LLamaSharp, or native llama-bench), measured in a process of its own. NaN marks a figure the
/// runtime does not give (llama-bench reports no memory and no time to first token).
/// </summary>
internal sealed record RuntimeResult
{
    public required string Model { get; init; }
    /// <summary>Our variant name (fp16, int4, …) or the GGUF type (F16, Q8_0, Q4_0).</summary>
    public required string Precision { get; init; }
    public required string Runtime { get; init; }
    public double LoadSeconds { get; init; } = double.NaN;
    /// <summary>Prompt tokens ÷ time to first token (in-process rows); llama-bench's own pp rate for its rows.</summary>
    public double PrefillTokensPerSecond { get; init; } = double.NaN;
    public double TimeToFirstTokenMs { get; init; } = double.NaN;
    public double DecodeTokensPerSecond { get; init; } = double.NaN;
    /// <summary>VmRSS right after the model is loaded (the chat client constructed).</summary>
    public double RssAfterLoadMiB { get; init; } = double.NaN;
    /// <summary>VmHWM at the end of loading: the highest RSS the load reached.</summary>
    public double PeakLoadMiB { get; init; } = double.NaN;
    /// <summary>VmHWM over the generations only (reset after loading).</summary>
    public double PeakGenerateMiB { get; init; } = double.NaN;
    /// <summary>Anonymous (heap, arena, converted and packed weights) and file-backed (mmapped) RSS after generating.</summary>
    public double AnonAfterMiB { get; init; } = double.NaN;
    public double FileAfterMiB { get; init; } = double.NaN;
    /// <summary>Weights as the kernels hold them (see <see cref="KernelWeights"/>); the model file size for GGUF rows.</summary>
    public double KernelWeightMiB { get; init; } = double.NaN;
    /// <summary>KV cache of one sequence of prompt + decoded tokens.</summary>
    public double KvMiB { get; init; } = double.NaN;
    /// <summary>Decoder layer 0's weights as held: how far above steady state loading may peak.</summary>
    public double LayerMiB { get; init; } = double.NaN;
    public double FileMiB { get; init; } = double.NaN;
    /// <summary>Weight bytes one decode step reads (see <see cref="WeightTraffic"/>), in 10⁶ bytes; NaN for GGUF rows.</summary>
    public double ReadMBPerToken { get; init; } = double.NaN;
    /// <summary>The machine's read bandwidth measured just before this row ran (see <see cref="ReadBandwidth"/>).</summary>
    public double ReadBandwidthGBps { get; init; } = double.NaN;
    /// <summary>Tokens actually decoded in the timed span (fewer than asked when the runtime stopped at an end token).</summary>
    public int DecodedTokens { get; init; }
    public string? Note { get; init; }

    /// <summary>
    /// One row per model × precision × runtime from several rounds: the best speed of any round (highest tok/s,
    /// shortest TTFT and load) and the highest memory figures (memory does not depend on contention; the highest is
    /// the safe figure to quote), in first-seen order.
    /// </summary>
    public static List<RuntimeResult> BestOfRounds(IEnumerable<RuntimeResult> rows) =>
        rows.GroupBy(r => (r.Model, r.Precision, r.Runtime)).Select(g => g.First() with
        {
            LoadSeconds = g.Min(r => r.LoadSeconds),
            PrefillTokensPerSecond = g.Max(r => r.PrefillTokensPerSecond),
            TimeToFirstTokenMs = g.Min(r => r.TimeToFirstTokenMs),
            DecodeTokensPerSecond = g.Max(r => r.DecodeTokensPerSecond),
            RssAfterLoadMiB = g.Max(r => r.RssAfterLoadMiB),
            PeakLoadMiB = g.Max(r => r.PeakLoadMiB),
            PeakGenerateMiB = g.Max(r => r.PeakGenerateMiB),
            AnonAfterMiB = g.Max(r => r.AnonAfterMiB),
            FileAfterMiB = g.Max(r => r.FileAfterMiB),
            // The best round's decode is judged against the best bandwidth any of its rounds saw: the stricter roofline.
            ReadBandwidthGBps = g.Max(r => r.ReadBandwidthGBps),
            Note = g.Select(r => r.Note).FirstOrDefault(n => n is not null),
        }).ToList();
}
