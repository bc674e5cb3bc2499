using System.Diagnostics;
using System.Text;
using System.Text.Json;
using OnnxLlm.Tests.Tokenization;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Encode throughput of the SDK's tokenizer (our own byte-level BPE) against the same pipeline on
/// Microsoft.ML.Tokenizers' BpeTokenizer, configured as the SDK used it before (<see cref="MlTokenizersReference"/>),
/// on about 1 MB of mixed text: this repository's C# sources and Markdown, the chat-template goldens, and seeded CJK,
/// emoji and whitespace runs. Both run in one process, interleaved, on the same text; the ids are checked equal.
/// Usage (from the repository root): --mode tokenizer [--repetitions N].
/// </summary>
internal static class TokenizerBenchmark
{
    private const int TargetChars = 1 << 20;

    private static readonly string[] Separators = ["，", "。", "！", "？", "、", "😀", "👍🏽", " ", "\n"];

    public static void Run(BenchmarkSettings settings)
    {
        string dir = Path.Combine("tests", "TestData", "tokenizer", "qwen2.5");
        string vocab = Path.Combine(dir, "vocab.json"), merges = Path.Combine(dir, "merges.txt"), config = Path.Combine(dir, "instruct", "tokenizer_config.json");
        string text = BuildCorpus();
        int utf8Bytes = Encoding.UTF8.GetByteCount(text);
        Console.WriteLine($"Corpus: {text.Length:N0} chars, {utf8Bytes:N0} UTF-8 bytes; {Environment.ProcessorCount} CPUs, .NET {Environment.Version}");

        var load = Stopwatch.StartNew();
        QwenTokenizer ours = QwenTokenizer.FromFiles(vocab, merges, config);
        double oursLoadMs = load.Elapsed.TotalMilliseconds;
        load.Restart();
        MlTokenizersReference reference = MlTokenizersReference.FromFiles(vocab, merges, config);
        double referenceLoadMs = load.Elapsed.TotalMilliseconds;

        // First pass of each: fresh instance, empty piece cache, code not yet tiered up.
        (double oursColdMs, IReadOnlyList<int> oursIds, _) = Time(() => ours.Encode(text));
        (double referenceColdMs, IReadOnlyList<int> referenceIds, _) = Time(() => reference.Encode(text));
        if (!oursIds.SequenceEqual(referenceIds))
        {
            throw new InvalidOperationException("The two encoders disagree on the corpus.");
        }

        int repetitions = Math.Max(5, settings.Repetitions);
        var oursMs = new List<double>();
        var referenceMs = new List<double>();
        long oursAllocated = 0, referenceAllocated = 0;
        for (int r = 0; r < repetitions; r++)
        {
            // Interleaved so that load from other processes on the machine falls on both alike.
            (double ms, _, oursAllocated) = Time(() => ours.Encode(text));
            oursMs.Add(ms);
            (ms, _, referenceAllocated) = Time(() => reference.Encode(text));
            referenceMs.Add(ms);
        }

        Console.WriteLine($"Tokens: {oursIds.Count:N0}");
        Console.WriteLine();
        Console.WriteLine("| Encoder | Load (ms) | First pass (ms) | Median (ms) | Best (ms) | MB/s (median) | Mtok/s (median) | Allocated per pass |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        Row("Microsoft.ML.Tokenizers BpeTokenizer (before)", referenceLoadMs, referenceColdMs, referenceMs, referenceAllocated);
        Row("ByteLevelBpe (after)", oursLoadMs, oursColdMs, oursMs, oursAllocated);
        Console.WriteLine();
        Console.WriteLine($"Speed-up (median): {Median(referenceMs) / Median(oursMs):F2}x; repetitions: {repetitions}");

        void Row(string name, double loadMs, double coldMs, List<double> ms, long allocated)
        {
            double median = Median(ms);
            Console.WriteLine(
                $"| {name} | {loadMs:F0} | {coldMs:F1} | {median:F1} | {ms.Min():F1} | {utf8Bytes / 1e6 / (median / 1000):F1} | " +
                $"{oursIds.Count / 1e6 / (median / 1000):F2} | {allocated / 1024.0 / 1024:F1} MiB |");
        }
    }

    private static (double Ms, IReadOnlyList<int> Ids, long Allocated) Time(Func<IReadOnlyList<int>> encode)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();
        IReadOnlyList<int> ids = encode();
        double ms = stopwatch.Elapsed.TotalMilliseconds;
        return (ms, ids, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string BuildCorpus()
    {
        var parts = new List<string>();
        foreach (string file in new[] { "tests/TestData/chat-template-golden.json", "tests/TestData/qwen3-chat-template-golden.json" })
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(file));
            parts.AddRange(document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("rendered").GetString()!));
        }

        parts.AddRange(Directory.EnumerateFiles(".", "*.md", SearchOption.AllDirectories).Where(Tracked).Order().Select(File.ReadAllText));

        // Seeded CJK prose-like runs with punctuation, emoji and whitespace runs, about a tenth of the corpus.
        var random = new Random(11);
        var cjk = new StringBuilder();
        while (cjk.Length < TargetChars / 10)
        {
            for (int i = random.Next(5, 40); i > 0; i--) cjk.Append((char)random.Next(0x4E00, 0x9FA6));
            cjk.Append(Separators[random.Next(Separators.Length)]);
            if (random.Next(20) == 0) cjk.Append(' ', random.Next(2, 40)).Append('\n');
        }

        parts.Add(cjk.ToString());
        parts.AddRange(Directory.EnumerateFiles("src", "*.cs", SearchOption.AllDirectories).Order().Select(File.ReadAllText));

        var corpus = new StringBuilder(TargetChars + 4096);
        foreach (string part in parts)
        {
            if (corpus.Length >= TargetChars) break;
            corpus.Append(part).Append('\n');
        }

        int length = Math.Min(corpus.Length, TargetChars);
        if (char.IsHighSurrogate(corpus[length - 1])) length--;
        return corpus.ToString(0, length);

        static bool Tracked(string path) => !path.Contains("/bin/") && !path.Contains("/obj/") && !path.Contains("/node_modules/") && !path.Contains("/.");
    }
}
