using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// A load test of the server in its own process: mixed requests (streamed and whole, JSON schemas, tools, stop strings,
/// long and short prompts) at concurrency 16, a tenth of the streams dropped mid-answer. No 5xx, no hang, every
/// completed answer well-formed. CI runs a short slice; <c>ONNXLLM_LOAD_REQUESTS=1000</c> runs the full test, which
/// also checks that the process's resident memory after the run is within 10% of what it held after warm-up (with a
/// prefix cache small enough to be full by then).
/// </summary>
[TestClass]
public sealed class ServerLoadTests
{
    private const int Concurrency = 16;
    private const int WarmUp = 48;

    [TestMethod]
    [Timeout(1_800_000, CooperativeCancellation = true)]
    public async Task MixedRequests_AtConcurrency16_AllWellFormed_NoServerErrors()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Reads the server's resident memory from /proc.");
        int total = int.TryParse(Environment.GetEnvironmentVariable("ONNXLLM_LOAD_REQUESTS"), out int n) && n > 0 ? n : 64;
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        int port = FreePort();
        var start = DotnetProcess.StartInfo("OpenAiServer.dll", "--model", model, "--urls", $"http://127.0.0.1:{port}",
            "--OnnxLlm:MaxConcurrentGenerations", "8", "--OnnxLlm:IntraOpThreads", "1", "--Logging:LogLevel:Default", "Warning",
            // A small prefix cache fills during warm-up, so growth after it would be a leak, not the cache reaching its budget.
            "--OnnxLlm:PrefixCacheBytes", (8 << 20).ToString());
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(2) };
            await WaitUntilListeningAsync(http, process, stderr);
            var outcomes = new Outcomes();
            await RunAsync(http, 0, Math.Min(WarmUp, total), outcomes);
            long rssAfterWarmUp = ResidentBytes(process.Id);
            await RunAsync(http, WarmUp, total, outcomes);
            long rssAfter = ResidentBytes(process.Id);

            Assert.IsEmpty(outcomes.Failures, string.Join("\n", outcomes.Failures.Take(10)));
            Assert.AreEqual(total, outcomes.Completed + outcomes.Disconnected, "every request ended");
            Assert.IsGreaterThan(0, outcomes.Disconnected);
            Console.WriteLine($"{total} requests: {outcomes.Completed} completed, {outcomes.Disconnected} dropped mid-stream; " +
                              $"RSS {rssAfterWarmUp / 1048576.0:0} MiB after warm-up, {rssAfter / 1048576.0:0} MiB after the run");
            if (total >= 500)
                Assert.IsLessThanOrEqualTo(1.10 * rssAfterWarmUp, rssAfter, "resident memory grew more than 10% over the run");
            Assert.IsFalse(process.HasExited, "the server is still up");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            _ = stdout;
        }
    }

    private sealed class Outcomes
    {
        public int Completed;
        public int Disconnected;
        public readonly System.Collections.Concurrent.ConcurrentQueue<string> Failures = new();
    }

    private static async Task RunAsync(HttpClient http, int from, int to, Outcomes outcomes)
    {
        int next = from;
        var workers = Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next) - 1) < to)
            {
                try
                {
                    if (await OneAsync(http, i)) Interlocked.Increment(ref outcomes.Completed);
                    else Interlocked.Increment(ref outcomes.Disconnected);
                }
                catch (Exception ex)
                {
                    outcomes.Failures.Enqueue($"request {i}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>Sends request <paramref name="i"/> (its mix chosen by its number); false when it was dropped on purpose.</summary>
    private static async Task<bool> OneAsync(HttpClient http, int i)
    {
        var random = new Random(i);
        bool stream = random.Next(2) == 0;
        bool disconnect = stream && random.Next(5) == 0; // a tenth of all requests
        bool schema = random.Next(5) == 0;
        bool tools = !schema && random.Next(7) == 0;
        bool stop = !schema && random.Next(5) == 0; // a stop string may cut JSON short, as it should
        bool longPrompt = random.Next(10) == 0;
        string question = longPrompt ? string.Join(' ', Enumerable.Repeat("tell me more about the weather and the sea", 120)) : $"Question {i}: what is {i} + {i}?";
        var body = new Dictionary<string, object?>
        {
            ["messages"] = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = question } },
            ["max_tokens"] = 1 + random.Next(48),
            ["temperature"] = random.Next(2) == 0 ? 0 : 0.8,
            ["seed"] = i,
            ["stream"] = stream,
        };
        if (schema)
            body["response_format"] = new { type = "json_schema", json_schema = new { name = "answer", schema = new { type = "object", properties = new { value = new { type = "integer" }, note = new { type = "string", maxLength = 12 } }, required = new[] { "value" } } } };
        if (tools)
            body["tools"] = new[] { new { type = "function", function = new { name = "get_weather", description = "Weather for a city", parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } } } } };
        if (stop) body["stop"] = new[] { "e", "." };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var cts = new CancellationTokenSource();
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        if ((int)response.StatusCode >= 500 || response.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"status {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        if (!stream)
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var message = json.RootElement.GetProperty("choices")[0].GetProperty("message");
            string finish = json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString()!;
            if (schema && finish == "stop") JsonDocument.Parse(message.GetProperty("content").GetString()!).Dispose(); // valid JSON by construction
            return true;
        }
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var content = new StringBuilder();
        string? line, finishReason = null;
        bool done = false;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (line.Length == 0) continue;
            if (line == "data: [DONE]") { done = true; break; }
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) throw new InvalidOperationException($"not an SSE data line: {line}");
            using var json = JsonDocument.Parse(line.AsMemory(6));
            if (json.RootElement.TryGetProperty("error", out var error)) throw new InvalidOperationException($"error event: {error}");
            foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.GetProperty("delta").TryGetProperty("content", out var piece)) content.Append(piece.GetString());
                if (choice.TryGetProperty("finish_reason", out var f) && f.ValueKind == JsonValueKind.String) finishReason = f.GetString();
            }
            if (disconnect && content.Length > 0)
            {
                cts.Cancel(); // drop the connection mid-answer
                return false;
            }
        }
        if (!done || finishReason is null) throw new InvalidOperationException("the stream ended without finish_reason and [DONE]");
        if (schema && finishReason == "stop") JsonDocument.Parse(content.ToString()).Dispose();
        return true;
    }

    private static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilListeningAsync(HttpClient http, Process process, Task<string> stderr)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) Assert.Fail($"The server exited with {process.ExitCode}: {await stderr}");
            try
            {
                await http.GetAsync("v1/models");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail("The server did not start listening within 60 s.");
    }
}
