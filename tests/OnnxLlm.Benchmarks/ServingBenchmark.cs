using System.Diagnostics;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Serving figures for issue 14, in-process through the SDK's own load path (<see cref="OnnxLlmModel"/>, its engine):
/// a 10-turn conversation behind a ~300-token system prompt with and without prefix reuse (time to first token per
/// turn), a 2,200-token chat's second turn, and 1/2/4/8 concurrent streams (aggregate decode tok/s, per-stream p50/p95
/// tok/s and TTFT), plus the TTFT of a new request while three others stream. Prompts are random token ids (the
/// synthetic model never ends a turn, so every answer runs to its token limit).
/// </summary>
internal static class ServingBenchmark
{
    private const int SystemTokens = 300, UserTokens = 45, AnswerTokens = 32, Turns = 10, LongChat = 2200;

    public static async Task RunAsync(BenchmarkSettings settings)
    {
        foreach (var config in settings.Configs)
            foreach (var variant in settings.Variants)
            {
                var (name, exported, _) = await DecodeBenchmark.PrepareAsync(config, variant, settings);
                Console.WriteLine($"\n### {name} {variant.Name} ({settings.Threads} threads)\n");
                await MultiTurnAsync(exported, settings);
                await ParallelAsync(exported, settings);
                await ServerServingBenchmark.RunAsync(exported, settings);
            }
    }

    private static OnnxLlmModel Load(string folder, BenchmarkSettings settings, long cacheBytes, int parallel) => OnnxLlmModel.Load(new OnnxLlmOptions
    {
        ModelPath = folder,
        IntraOpThreads = settings.Threads,
        AllowSpinning = settings.Spinning,
        PrefixCacheBytes = cacheBytes,
        MaxConcurrentGenerations = parallel,
    });

    private static async Task MultiTurnAsync(string folder, BenchmarkSettings settings)
    {
        var random = new Random(7);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(1000, 100000)).ToArray();
        var system = Tokens(SystemTokens);
        var users = Enumerable.Range(0, Turns).Select(_ => Tokens(UserTokens)).ToArray();
        var longStart = Tokens(LongChat);
        var rows = new List<string>();
        var ttft = new Dictionary<bool, double[]>();
        var longChat = new Dictionary<bool, (double Turn1, double Turn2)>();
        foreach (bool reuse in new[] { false, true })
        {
            using var model = Load(folder, settings, reuse ? GenerationEngineOptions.DefaultPrefixCacheBytes : 0, 4);
            await GenerateAsync(model.Engine, Tokens(64), 4); // warm-up
            var history = new List<int>(system);
            var times = new double[Turns];
            for (int turn = 0; turn < Turns; turn++)
            {
                history.AddRange(users[turn]);
                var (first, answer) = await GenerateAsync(model.Engine, history.ToArray(), AnswerTokens);
                times[turn] = first;
                history.AddRange(answer);
            }
            ttft[reuse] = times;
            int[] chat = longStart;
            var (t1, a1) = await GenerateAsync(model.Engine, chat, AnswerTokens);
            var (t2, _) = await GenerateAsync(model.Engine, [.. chat, .. a1, .. users[0]], AnswerTokens);
            longChat[reuse] = (t1, t2);
        }
        Console.WriteLine($"Multi-turn: {SystemTokens}-token system prompt, {UserTokens}-token questions, {AnswerTokens}-token answers; time to first token (ms)\n");
        Console.WriteLine("| turn | " + string.Join(" | ", Enumerable.Range(1, Turns)) + " | turn 10 / turn 1 |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", Turns + 1)));
        foreach (bool reuse in new[] { false, true })
            Console.WriteLine($"| {(reuse ? "reuse" : "no reuse")} | " + string.Join(" | ", ttft[reuse].Select(t => t.ToString("0"))) +
                              $" | {ttft[reuse][^1] / ttft[reuse][0]:0.00} |");
        Console.WriteLine($"\n{LongChat}-token chat: turn 1 / turn 2 time to first token (ms)\n");
        Console.WriteLine("| | turn 1 | turn 2 | turn 2 / turn 1 |\n|---|---:|---:|---:|");
        foreach (bool reuse in new[] { false, true })
            Console.WriteLine($"| {(reuse ? "reuse" : "no reuse")} | {longChat[reuse].Turn1:0} | {longChat[reuse].Turn2:0} | {longChat[reuse].Turn2 / longChat[reuse].Turn1:0.000} |");
    }

    private static async Task ParallelAsync(string folder, BenchmarkSettings settings)
    {
        using var model = Load(folder, settings, 0, 8);
        var random = new Random(11);
        int[] Prompt() => Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(1000, 100000)).ToArray();
        await GenerateAsync(model.Engine, Prompt(), 4); // warm-up
        Console.WriteLine($"\nParallel streams: {settings.PromptTokens}-token prompts, {settings.DecodeTokens} tokens each, started together\n");
        Console.WriteLine(StreamTiming.Header);
        double single = 0;
        foreach (int streams in new[] { 1, 2, 4, 8 })
        {
            var clock = Stopwatch.StartNew();
            var runs = await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => TimedAsync(model.Engine, Prompt(), settings.DecodeTokens, clock)));
            Console.WriteLine(StreamTiming.Row(runs, ref single));
        }

        // A new request's time to first token, alone and while three long streams decode.
        var solo = await GenerateAsync(model.Engine, Prompt(), 1);
        using var stop = new CancellationTokenSource();
        var background = Enumerable.Range(0, 3).Select(_ => DrainAsync(model.Engine, Prompt(), stop.Token)).ToArray();
        await Task.Delay(2000);
        var busy = await GenerateAsync(model.Engine, Prompt(), 1);
        stop.Cancel();
        await Task.WhenAll(background);
        Console.WriteLine($"\nTTFT of a new {settings.PromptTokens}-token request: alone {solo.FirstMs:0} ms, while 3 others stream {busy.FirstMs:0} ms ({busy.FirstMs / solo.FirstMs:0.00}×)");
    }

    private static GenerationRequest Request(int[] prompt, int tokens) =>
        new() { PromptTokens = prompt, MaxNewTokens = tokens, Sampling = new SamplingOptions { Temperature = 0 } };

    private static async Task<(double FirstMs, List<int> Tokens)> GenerateAsync(GenerationEngine engine, int[] prompt, int tokens)
    {
        var clock = Stopwatch.StartNew();
        double first = 0;
        var output = new List<int>();
        await foreach (var update in engine.GenerateAsync(Request(prompt, tokens)))
        {
            if (update.TokenId < 0) continue;
            if (output.Count == 0) first = clock.Elapsed.TotalMilliseconds;
            output.Add(update.TokenId);
        }
        return (first, output);
    }

    private static async Task<StreamTiming> TimedAsync(GenerationEngine engine, int[] prompt, int tokens, Stopwatch clock)
    {
        var times = new List<double>(tokens);
        await foreach (var update in engine.GenerateAsync(Request(prompt, tokens)))
            if (update.TokenId >= 0) times.Add(clock.Elapsed.TotalMilliseconds);
        return new StreamTiming(times[0], clock.Elapsed.TotalMilliseconds, times.Count, [.. times]);
    }

    private static async Task DrainAsync(GenerationEngine engine, int[] prompt, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in engine.GenerateAsync(Request(prompt, 2000), cancellationToken)) { }
        }
        catch (OperationCanceledException) { }
    }
}
