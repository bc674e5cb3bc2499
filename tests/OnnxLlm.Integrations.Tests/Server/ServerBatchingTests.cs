using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// The server under concurrent load: a burst of streams all start before any finishes (they decode together on the
/// engine's scheduler thread, so no stream waits for the thread pool or for another answer), a full queue is
/// refused at once with 429 and Retry-After, and a repeated conversation reports its reused prompt tokens.
/// </summary>
[TestClass]
public sealed class ServerBatchingTests
{
    private static string StreamBody(string question, int maxTokens) =>
        $$"""{"messages":[{"role":"user","content":"{{question}}"}],"stream":true,"max_tokens":{{maxTokens}},"temperature":0}""";

    [TestMethod]
    public async Task BurstOfEightStreams_AllStartBeforeAnyFinishes()
    {
        await using var server = await ServerFixture.StartAsync("--OnnxLlm:MaxConcurrentGenerations", "8");
        var clock = Stopwatch.StartNew();
        var streams = Enumerable.Range(0, 8).Select(async i =>
        {
            using var response = await server.PostAsync("v1/chat/completions", StreamBody($"Question number {i}?", 300),
                completion: HttpCompletionOption.ResponseHeadersRead);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            double? firstContent = null;
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null)
            {
                if (firstContent is null && line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal)
                    && !line.Contains("\"content\":\"\"", StringComparison.Ordinal))
                    firstContent = clock.Elapsed.TotalMilliseconds;
                if (line == "data: [DONE]") break;
            }
            return (First: firstContent ?? double.NaN, Done: clock.Elapsed.TotalMilliseconds);
        }).ToArray();
        var results = await Task.WhenAll(streams);
        double lastStart = results.Max(r => r.First), firstDone = results.Min(r => r.Done);
        Assert.IsFalse(results.Any(r => double.IsNaN(r.First)), "every stream sent text");
        Assert.IsLessThan(firstDone, lastStart,
            $"every stream must start before any finishes (last first-token at {lastStart:F0} ms, first done at {firstDone:F0} ms)");
    }

    [TestMethod]
    public async Task FullQueue_Answers429WithRetryAfter_AndServesAgainLater()
    {
        await using var server = await ServerFixture.StartAsync("--OnnxLlm:MaxConcurrentGenerations", "1", "--OnnxLlm:MaxQueuedGenerations", "0");
        // A long answer holds the only slot; headers arrive with its first token.
        using var longCall = new CancellationTokenSource();
        using var busy = await server.PostAsync("v1/chat/completions", StreamBody("Talk for a long time.", 3000),
            completion: HttpCompletionOption.ResponseHeadersRead, cancel: longCall.Token);
        Assert.AreEqual(HttpStatusCode.OK, busy.StatusCode);

        using var refused = await server.PostAsync("v1/chat/completions", StreamBody("Me too?", 4));
        Assert.AreEqual(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.IsNotNull(refused.Headers.RetryAfter?.Delta, "Retry-After in seconds");
        Assert.IsGreaterThanOrEqualTo(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter!.Delta!.Value);
        using (var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
            Assert.AreEqual("server_busy", error.RootElement.GetProperty("error").GetProperty("code").GetString());

        longCall.Cancel(); // the client goes away: its generation is cancelled and the slot frees
        busy.Dispose();
        HttpResponseMessage? ok = null;
        for (int attempt = 0; attempt < 50 && ok?.StatusCode != HttpStatusCode.OK; attempt++)
        {
            ok?.Dispose();
            if (attempt > 0) await Task.Delay(100);
            ok = await server.PostAsync("v1/chat/completions", StreamBody("Me now?", 4));
        }
        Assert.AreEqual(HttpStatusCode.OK, ok!.StatusCode, "the server serves again once the slot is free");
        ok.Dispose();
    }

    [TestMethod]
    public async Task RepeatedConversation_ReportsCachedPromptTokens()
    {
        await using var server = await ServerFixture.StartAsync();
        const string Body = """{"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hi there"}],"max_tokens":4,"temperature":0}""";
        async Task<(int Prompt, int Cached, string Text)> AskAsync()
        {
            using var response = await server.PostAsync("v1/chat/completions", Body);
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var usage = json.RootElement.GetProperty("usage");
            return (usage.GetProperty("prompt_tokens").GetInt32(),
                usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32(),
                json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!);
        }
        var first = await AskAsync();
        var second = await AskAsync();
        Assert.AreEqual(0, first.Cached);
        Assert.AreEqual(first.Prompt - 1, second.Cached, "all but the last prompt token come from the cache");
        Assert.AreEqual(first.Text, second.Text, "the same answer with and without reuse");
    }
}
