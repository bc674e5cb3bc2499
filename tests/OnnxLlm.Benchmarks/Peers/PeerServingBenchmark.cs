using System.Diagnostics;
using System.Reflection;
using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// ServingBenchmark's workload on llama.cpp via LLamaSharp, for side-by-side figures: the same random prompts (same
/// seeds, constants and draw order), the same tables, rows labelled with the GGUF type. Prefix reuse here is
/// llama.cpp keeping each conversation's KV cache (a <see cref="Conversation"/> prompted with only the new tokens
/// each turn); "no reuse" prompts the whole history into a fresh conversation. Parallel streams share one context
/// and decode in one batch per step. Also single-stream prefill / decode rates and the run's peak RSS (llama.cpp
/// mmaps the GGUF, so the weights' touched pages count). Each GGUF type runs in its own child process unless
/// --in-process, so each peak is that type's own; GGUFs are written and quantized in the parent first.
/// </summary>
internal static class PeerServingBenchmark
{
    // ServingBenchmark's constants: keep them equal, or the figures are not side by side.
    private const int SystemTokens = 300, UserTokens = 45, AnswerTokens = 32, Turns = 10, LongChat = 2200;

    public static async Task RunAsync(BenchmarkSettings settings)
    {
        var types = settings.PeerTypes.Select(ParseType).ToArray();
        if (!settings.PeerChild)
            Console.WriteLine($"\n{LlamaCpp.Label} {string.Join(", ", types)} ({settings.Threads} threads). Its prebuilt CPU library is not built for " +
                              "this CPU (measured earlier: decode ~0.9×, prefill 0.4–0.6× of a native build).");
        foreach (var config in settings.Configs)
            foreach (var type in types)
            {
                if (settings.PeerChild || settings.InProcess) await MeasureAsync(config, type, settings);
                else
                {
                    await PeerModels.PrepareAsync(config, type, settings);
                    RunChild(config, type, settings);
                }
            }
    }

    internal static GgmlType ParseType(string text) => text.ToLowerInvariant() switch
    {
        "f16" => GgmlType.F16,
        "q8_0" => GgmlType.Q8_0,
        "q4_0" => GgmlType.Q4_0,
        _ => throw new ArgumentException($"--peer-types: '{text}' is not one of f16, q8_0, q4_0."),
    };

    private static async Task MeasureAsync(string config, GgmlType type, BenchmarkSettings settings)
    {
        var (name, gguf) = await PeerModels.PrepareAsync(config, type, settings);
        var parameters = LlamaCpp.Parameters(gguf, settings.Threads);
        using var weights = LlamaCpp.Load(parameters);
        string row = $"{LlamaCpp.Label} {type}";
        Console.WriteLine($"\n### {row}: {name} ({settings.Threads} threads, {new FileInfo(gguf).Length / (1024.0 * 1024.0):0} MiB GGUF)\n");
        var single = await SingleStreamAsync(weights, parameters, settings);
        await MultiTurnAsync(weights, parameters, row);
        await ParallelAsync(weights, parameters, settings, row);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine($"\nSingle stream: {settings.PromptTokens}-token prompt, {settings.DecodeTokens} tokens decoded (median of {settings.Repetitions})\n");
        Console.WriteLine("| runtime | prefill tok/s | TTFT ms | decode tok/s | peak RSS MiB (whole run) |\n|---|---:|---:|---:|---:|");
        Console.WriteLine($"| {row} | {single.Prefill:0.0} | {single.Ttft:0} | {single.Decode:0.0} | {process.PeakWorkingSet64 / (1024.0 * 1024.0):0} |");
    }

    /// <summary>DecodeBenchmark's measurement: its prompt (seed 123), a warm-up pass, then the median of the repetitions.</summary>
    private static async Task<(double Prefill, double Ttft, double Decode)> SingleStreamAsync(LLamaWeights weights, ModelParams parameters, BenchmarkSettings settings)
    {
        var random = new Random(123);
        int[] prompt = Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(0, 151643)).ToArray();
        using var executor = new BatchedExecutor(weights, parameters);
        var prefill = new List<double>(); var ttft = new List<double>(); var decode = new List<double>();
        for (int rep = 0; rep <= settings.Repetitions; rep++)
        {
            using var conversation = executor.Create();
            long start = Stopwatch.GetTimestamp();
            await LlamaCpp.PromptAsync(conversation, prompt);
            double prefillSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            int token = LlamaCpp.ArgMax(conversation.Sample());
            double firstMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            // As DecodeBenchmark: the first decode step is not timed, steady state starts after it.
            token = await StepAsync(conversation, token);
            long decodeStart = Stopwatch.GetTimestamp();
            for (int i = 0; i < settings.DecodeTokens; i++) token = await StepAsync(conversation, token);
            double decodeSeconds = Stopwatch.GetElapsedTime(decodeStart).TotalSeconds;
            if (rep == 0) continue;
            prefill.Add(settings.PromptTokens / prefillSeconds);
            ttft.Add(firstMs);
            decode.Add(settings.DecodeTokens / decodeSeconds);
        }
        return (Median(prefill), Median(ttft), Median(decode));
    }

    private static async Task<int> StepAsync(Conversation conversation, int token)
    {
        conversation.Prompt((LLamaToken)token);
        await LlamaCpp.InferAsync(conversation.Executor);
        return LlamaCpp.ArgMax(conversation.Sample());
    }

    private static async Task MultiTurnAsync(LLamaWeights weights, ModelParams parameters, string row)
    {
        var random = new Random(7);
        int[] Tokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(1000, 100000)).ToArray();
        var system = Tokens(SystemTokens);
        var users = Enumerable.Range(0, Turns).Select(_ => Tokens(UserTokens)).ToArray();
        var longStart = Tokens(LongChat);
        var ttft = new Dictionary<bool, double[]>();
        var longChat = new Dictionary<bool, (double Turn1, double Turn2)>();
        foreach (bool reuse in new[] { false, true })
        {
            using var executor = new BatchedExecutor(weights, parameters);
            using (var warm = executor.Create()) await GenerateAsync(warm, Tokens(64), 4);
            var history = new List<int>(system);
            var times = new double[Turns];
            // Kept KV: one conversation holds everything but the last answer token, prompted with the next question.
            using (var kept = reuse ? executor.Create() : null)
            {
                var pending = new List<int>(system);
                for (int turn = 0; turn < Turns; turn++)
                {
                    history.AddRange(users[turn]);
                    pending.AddRange(users[turn]);
                    List<int> answer;
                    if (kept is not null) (times[turn], answer) = await GenerateAsync(kept, pending.ToArray(), AnswerTokens);
                    else
                    {
                        using var fresh = executor.Create();
                        (times[turn], answer) = await GenerateAsync(fresh, history.ToArray(), AnswerTokens);
                    }
                    history.AddRange(answer);
                    pending = [answer[^1]];
                }
            }
            ttft[reuse] = times;
            if (reuse)
            {
                using var chat = executor.Create();
                var (t1, a1) = await GenerateAsync(chat, longStart, AnswerTokens);
                var (t2, _) = await GenerateAsync(chat, [a1[^1], .. users[0]], AnswerTokens);
                longChat[reuse] = (t1, t2);
            }
            else
            {
                List<int> a1;
                double t1, t2;
                using (var first = executor.Create()) (t1, a1) = await GenerateAsync(first, longStart, AnswerTokens);
                using (var second = executor.Create()) (t2, _) = await GenerateAsync(second, [.. longStart, .. a1, .. users[0]], AnswerTokens);
                longChat[reuse] = (t1, t2);
            }
        }
        Console.WriteLine($"Multi-turn: {SystemTokens}-token system prompt, {UserTokens}-token questions, {AnswerTokens}-token answers; time to first token (ms)\n");
        Console.WriteLine("| turn | " + string.Join(" | ", Enumerable.Range(1, Turns)) + " | turn 10 / turn 1 |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", Turns + 1)));
        foreach (bool reuse in new[] { false, true })
            Console.WriteLine($"| {row}, {(reuse ? "kept KV" : "no reuse")} | " + string.Join(" | ", ttft[reuse].Select(t => t.ToString("0"))) +
                              $" | {ttft[reuse][^1] / ttft[reuse][0]:0.00} |");
        Console.WriteLine($"\n{LongChat}-token chat: turn 1 / turn 2 time to first token (ms)\n");
        Console.WriteLine("| | turn 1 | turn 2 | turn 2 / turn 1 |\n|---|---:|---:|---:|");
        foreach (bool reuse in new[] { false, true })
            Console.WriteLine($"| {row}, {(reuse ? "kept KV" : "no reuse")} | {longChat[reuse].Turn1:0} | {longChat[reuse].Turn2:0} | {longChat[reuse].Turn2 / longChat[reuse].Turn1:0.000} |");
    }

    private static async Task ParallelAsync(LLamaWeights weights, ModelParams parameters, BenchmarkSettings settings, string row)
    {
        using var executor = new BatchedExecutor(weights, parameters);
        var random = new Random(11);
        int[] Prompt() => Enumerable.Range(0, settings.PromptTokens).Select(_ => random.Next(1000, 100000)).ToArray();
        using (var warm = executor.Create()) await GenerateAsync(warm, Prompt(), 4);
        Console.WriteLine($"\nParallel streams: {settings.PromptTokens}-token prompts, {settings.DecodeTokens} tokens each, started together\n");
        // StreamTiming is ServingBenchmark's own row (same aggregate, percentiles and layout), with the runtime in front.
        var header = StreamTiming.Header.Split('\n');
        Console.WriteLine($"| runtime {header[0]}\n|---{header[1]}");
        double single = 0;
        foreach (int count in new[] { 1, 2, 4, 8 })
        {
            var clock = Stopwatch.StartNew();
            using var streams = new PeerStreams(executor, clock);
            var runs = Enumerable.Range(0, count).Select(_ => streams.Add(Prompt(), settings.DecodeTokens)).ToArray();
            await streams.RunToCompletionAsync();
            Console.WriteLine($"| {row} " + StreamTiming.Row(runs.Select(r => new StreamTiming(r.First, r.End, r.Tokens)).ToArray(), ref single));
        }

        // A new request's time to first token, alone and while three long streams decode (it joins their batches).
        double solo;
        using (var alone = executor.Create()) (solo, _) = await GenerateAsync(alone, Prompt(), 1);
        var busyClock = Stopwatch.StartNew();
        using var background = new PeerStreams(executor, busyClock);
        for (int i = 0; i < 3; i++) background.Add(Prompt(), 2000);
        int[] late = Prompt();
        while (busyClock.Elapsed.TotalMilliseconds < 2000) await background.StepAsync();
        var busy = background.Add(late, 1);
        while (!busy.Done) await background.StepAsync();
        double busyMs = busy.First - busy.Start;
        Console.WriteLine($"\n{row}: TTFT of a new {settings.PromptTokens}-token request: alone {solo:0} ms, while 3 others stream {busyMs:0} ms ({busyMs / solo:0.00}×)");
    }

    /// <summary>Prompts the new tokens, then greedy-decodes; the last token returned is not yet in the KV cache.</summary>
    private static async Task<(double FirstMs, List<int> Tokens)> GenerateAsync(Conversation conversation, int[] prompt, int tokens)
    {
        var clock = Stopwatch.StartNew();
        await LlamaCpp.PromptAsync(conversation, prompt);
        var output = new List<int> { LlamaCpp.ArgMax(conversation.Sample()) };
        double first = clock.Elapsed.TotalMilliseconds;
        while (output.Count < tokens) output.Add(await StepAsync(conversation, output[^1]));
        return (first, output);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values[values.Count / 2];
    }

    /// <summary>One GGUF type in its own process, so its peak RSS is its own; the child prints its tables to our stdout.</summary>
    private static void RunChild(string config, GgmlType type, BenchmarkSettings settings)
    {
        string exe = Environment.ProcessPath!;
        var start = new ProcessStartInfo(exe) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet") start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        string[] args =
        [
            "--mode", "serving-peer", "--peer-child", "--configs", config, "--peer-types", type.ToString(),
            "--prompt", settings.PromptTokens.ToString(), "--decode", settings.DecodeTokens.ToString(),
            "--threads", settings.Threads.ToString(), "--repetitions", settings.Repetitions.ToString(), "--work", settings.WorkDirectory,
        ];
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"The {LlamaCpp.Label} child for {config} {type} exited with {process.ExitCode}.");
    }
}
