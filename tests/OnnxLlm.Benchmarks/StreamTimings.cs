namespace OnnxLlm.Benchmarks;

/// <summary>
/// One stream of a parallel run: when its first token arrived, when it ended (ms on a shared clock), how many tokens it
/// got, and (when recorded) when each token arrived.
/// </summary>
internal readonly record struct StreamTiming(double First, double End, int Tokens, double[]? TokenTimes = null)
{
    /// <summary>
    /// A Markdown row for <paramref name="runs"/> started together: aggregate decode tok/s (tokens after each stream's
    /// first, over the span from the earliest first token to the last end), the ratio to <paramref name="single"/>
    /// (the one-stream aggregate; 0 takes this row's), the steady aggregate (tokens that arrived while every stream was
    /// decoding, over that window: no stream prefilling or finished), per-stream tok/s p50 / p5 and TTFT p50 / p95.
    /// </summary>
    public static string Row(IReadOnlyList<StreamTiming> runs, ref double single)
    {
        double span = runs.Max(r => r.End) - runs.Min(r => r.First);
        double aggregate = runs.Sum(r => r.Tokens - 1) / (span / 1000);
        if (single == 0) single = aggregate;
        var rates = runs.Select(r => (r.Tokens - 1) / ((r.End - r.First) / 1000)).Order().ToArray();
        var ttfts = runs.Select(r => r.First).Order().ToArray();
        string steady = "—";
        if (runs.All(r => r.TokenTimes is not null))
        {
            // The window in which all streams were decoding: after the last first token, before the first stream ended.
            double from = runs.Max(r => r.First), to = runs.Min(r => r.TokenTimes![^1]);
            int tokens = runs.Sum(r => r.TokenTimes!.Count(t => t > from && t <= to));
            if (to > from && tokens > 0) steady = (tokens / ((to - from) / 1000)).ToString("0.0");
        }
        return $"| {runs.Count} | {aggregate:0.0} | {aggregate / single:0.00} | {steady} | {Percentile(rates, 0.5):0.0} / {Percentile(rates, 0.05):0.0} | " +
               $"{Percentile(ttfts, 0.5):0} / {Percentile(ttfts, 0.95):0} |";
    }

    public const string Header = "| streams | aggregate decode tok/s | × one stream | all streams decoding, tok/s | per-stream tok/s p50 / p95 | TTFT ms p50 / p95 |\n|---:|---:|---:|---:|---|---|";

    private static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Round(p * (sorted.Length - 1)), 0, sorted.Length - 1)];
}
