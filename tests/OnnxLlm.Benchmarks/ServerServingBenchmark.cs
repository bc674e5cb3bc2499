using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OnnxLlm.Samples.OpenAiServer;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// The serving workload of <see cref="ServingBenchmark"/> through the OpenAI-compatible sample server over HTTP, as a
/// client sees it: streamed chat completions (SSE), time to the first content delta. The conversation is text, so each
/// turn re-renders the history through the chat template and re-tokenizes the model's answers — prefix reuse then
/// matches token ids up to wherever the re-tokenized history first differs from what the model produced.
/// </summary>
internal static class ServerServingBenchmark
{
    private const int Turns = 10;

    public static async Task RunAsync(string folder, BenchmarkSettings settings)
    {
        Console.WriteLine("\nThrough the OpenAI-compatible server (HTTP, streamed):\n");
        var random = new Random(7);
        string Words(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => s_words[random.Next(s_words.Length)]));
        string system = Words(300);
        var questions = Enumerable.Range(0, Turns).Select(_ => Words(45) + "?").ToArray();
        var ttft = new Dictionary<bool, double[]>();
        foreach (bool reuse in new[] { false, true })
        {
            await using var server = await StartAsync(folder, settings, reuse, parallel: 4);
            await server.StreamAsync([("user", "warm up")], 4);
            var history = new List<(string Role, string Content)> { ("system", system) };
            var times = new double[Turns];
            for (int turn = 0; turn < Turns; turn++)
            {
                history.Add(("user", questions[turn]));
                var (first, text, _) = await server.StreamAsync(history, 32);
                times[turn] = first;
                history.Add(("assistant", text));
            }
            ttft[reuse] = times;
        }
        Console.WriteLine("| server, TTFT ms | " + string.Join(" | ", Enumerable.Range(1, Turns)) + " | turn 10 / turn 1 |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", Turns + 1)));
        foreach (bool reuse in new[] { false, true })
            Console.WriteLine($"| {(reuse ? "reuse" : "no reuse")} | " + string.Join(" | ", ttft[reuse].Select(t => t.ToString("0"))) +
                              $" | {ttft[reuse][^1] / ttft[reuse][0]:0.00} |");

        Console.WriteLine("\n" + StreamTiming.Header);
        await using (var server = await StartAsync(folder, settings, reuse: false, parallel: 8))
        {
            await server.StreamAsync([("user", "warm up")], 4);
            double single = 0;
            foreach (int streams in new[] { 1, 2, 4, 8 })
            {
                var clock = Stopwatch.StartNew();
                var runs = await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
                {
                    var times = new List<double>();
                    var (first, _, tokens) = await server.StreamAsync([("user", Words(settings.PromptTokens))], settings.DecodeTokens, clock, times);
                    return new StreamTiming(first, clock.Elapsed.TotalMilliseconds, tokens, [.. times]);
                }));
                Console.WriteLine(StreamTiming.Row(runs, ref single));
            }
        }
    }

    private static async Task<Server> StartAsync(string folder, BenchmarkSettings settings, bool reuse, int parallel)
    {
        var app = ServerApp.Build(
        [
            "--OnnxLlm:ModelPath", folder, "--urls", "http://127.0.0.1:0",
            "--OnnxLlm:IntraOpThreads", settings.Threads.ToString(),
            "--OnnxLlm:MaxConcurrentGenerations", parallel.ToString(),
            "--OnnxLlm:PrefixCacheBytes", reuse ? (1L << 30).ToString() : "0",
        ], builder => builder.Logging.ClearProviders());
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Server(app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(10) });
    }

    private sealed class Server(WebApplication app, HttpClient http) : IAsyncDisposable
    {
        /// <summary>Streams one completion; returns the time to its first content delta, its text and its completion tokens.</summary>
        public async Task<(double FirstMs, string Text, int Tokens)> StreamAsync(IReadOnlyList<(string Role, string Content)> messages, int maxTokens,
            Stopwatch? clock = null, List<double>? contentTimes = null)
        {
            var body = JsonSerializer.Serialize(new
            {
                messages = messages.Select(m => new { role = m.Role, content = m.Content }),
                stream = true,
                stream_options = new { include_usage = true },
                max_tokens = maxTokens,
                temperature = 0,
            });
            clock ??= Stopwatch.StartNew();
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var text = new StringBuilder();
            double first = double.NaN;
            int tokens = 0;
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (!line.StartsWith("data: {", StringComparison.Ordinal)) continue;
                using var json = JsonDocument.Parse(line.AsMemory(6));
                if (json.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    tokens = usage.GetProperty("completion_tokens").GetInt32();
                foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
                {
                    if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } piece)
                    {
                        if (double.IsNaN(first)) first = clock.Elapsed.TotalMilliseconds;
                        contentTimes?.Add(clock.Elapsed.TotalMilliseconds); // one content delta per token, as the server flushes them
                        text.Append(piece);
                    }
                }
            }
            return (first, text.ToString(), tokens);
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static readonly string[] s_words =
        ("the of and to in is that for it as was with be by on not he this are or his from at which but have an they you " +
         "were her she there been one all we their has would when if so no will more can some what into them time only " +
         "other new two may then first any like now such our over also back after use way even well because through how").Split(' ');
}
