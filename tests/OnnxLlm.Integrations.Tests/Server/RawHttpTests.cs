using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>The server's wire protocol checked byte for byte with a plain HttpClient: SSE framing, errors, limits, auth.</summary>
[TestClass]
public sealed class RawHttpTests
{
    private static ServerFixture s_server = null!;

    [ClassInitialize]
    public static async Task Start(TestContext context) => s_server = await ServerFixture.StartAsync();

    [ClassCleanup]
    public static async Task Stop()
    {
        if (s_server is not null) await s_server.DisposeAsync();
    }

    private static string Request(int maxTokens, bool stream = false, string? extra = null, string user = "你好") =>
        new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "system", ["content"] = "You are a helpful assistant." },
                new JsonObject { ["role"] = "user", ["content"] = user }),
            ["temperature"] = 0,
            ["max_tokens"] = maxTokens,
            ["stream"] = stream,
        }.ToJsonString()[..^1] + (extra is null ? "" : "," + extra) + "}";

    private static async Task<JsonElement> CompleteAsync(string json)
    {
        var response = await s_server.PostAsync("v1/chat/completions", json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(200, (int)response.StatusCode, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string Content(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    private static string Finish(JsonElement completion) => completion.GetProperty("choices")[0].GetProperty("finish_reason").GetString()!;

    [TestMethod]
    public async Task Models_ListAndGet()
    {
        var response = await s_server.SendAsync(HttpMethod.Get, "v1/models");
        Assert.AreEqual(200, (int)response.StatusCode);
        var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.AreEqual("list", list.GetProperty("object").GetString());
        var model = list.GetProperty("data").EnumerateArray().Single();
        Assert.AreEqual(s_server.ModelId, model.GetProperty("id").GetString());
        Assert.AreEqual("model", model.GetProperty("object").GetString());
        Assert.AreEqual("onnxllm", model.GetProperty("owned_by").GetString());
        Assert.IsGreaterThan(1_600_000_000L, model.GetProperty("created").GetInt64());

        var one = await s_server.SendAsync(HttpMethod.Get, $"v1/models/{s_server.ModelId}");
        Assert.AreEqual(200, (int)one.StatusCode);
        Assert.AreEqual(s_server.ModelId, JsonDocument.Parse(await one.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString());

        var error = await ServerFixture.ErrorAsync(await s_server.SendAsync(HttpMethod.Get, "v1/models/no-such-model"), 404);
        Assert.AreEqual("model_not_found", error.GetProperty("code").GetString());
    }

    [TestMethod]
    public async Task Whole_HasOpenAiShape_AndModelMayBeOmitted()
    {
        var completion = await CompleteAsync(Request(5));
        Assert.AreEqual("chat.completion", completion.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", completion.GetProperty("id").GetString()!);
        Assert.AreEqual(s_server.ModelId, completion.GetProperty("model").GetString());
        var choice = completion.GetProperty("choices").EnumerateArray().Single();
        Assert.AreEqual(0, choice.GetProperty("index").GetInt32());
        Assert.AreEqual("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.AreEqual("length", choice.GetProperty("finish_reason").GetString());
        var usage = completion.GetProperty("usage");
        Assert.AreEqual(5, usage.GetProperty("completion_tokens").GetInt32());
        Assert.AreEqual(usage.GetProperty("prompt_tokens").GetInt32() + 5, usage.GetProperty("total_tokens").GetInt32());
    }

    [TestMethod]
    public async Task Stream_IsSseFramed_EndsWithDone_AndMatchesWholeAnswer()
    {
        string expected = Content(await CompleteAsync(Request(6)));

        var response = await s_server.PostAsync("v1/chat/completions", Request(6, stream: true, extra: """ "stream_options":{"include_usage":true} """));
        Assert.AreEqual(200, (int)response.StatusCode);
        Assert.AreEqual("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string body = await response.Content.ReadAsStringAsync();

        // Events are "data: ..." lines separated by blank lines; nothing else.
        Assert.EndsWith("\n\n", body);
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.IsTrue(events.All(e => e.StartsWith("data: ", StringComparison.Ordinal) && !e.Contains('\n')), body);
        Assert.AreEqual("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.IsTrue(chunks.All(c => c.GetProperty("object").GetString() == "chat.completion.chunk"), body);
        Assert.AreEqual(1, chunks.Select(c => c.GetProperty("id").GetString()).Distinct().Count());

        // First chunk: the role; last choice chunk: finish_reason; then the usage chunk with no choices.
        Assert.AreEqual("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var usageChunk = chunks[^1];
        Assert.AreEqual(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.AreEqual(6, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var choiceChunks = chunks[..^1];
        Assert.AreEqual("length", choiceChunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.IsTrue(choiceChunks[..^1].All(c => c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.Null), body);
        Assert.IsTrue(choiceChunks.All(c => !c.TryGetProperty("usage", out _)), body);

        var text = string.Concat(choiceChunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.AreEqual(expected, text);
        Assert.IsGreaterThan(2, choiceChunks.Count(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) && t.GetString()!.Length > 0),
            "tokens should arrive as separate chunks");
    }

    [TestMethod]
    public async Task Stream_WithoutIncludeUsage_HasNoUsageChunk()
    {
        var response = await s_server.PostAsync("v1/chat/completions", Request(2, stream: true));
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(200, (int)response.StatusCode, body);
        Assert.DoesNotContain("\"usage\"", body);
        Assert.EndsWith("data: [DONE]\n\n", body);
    }

    [TestMethod]
    public async Task Get_ChatCompletions_Is405_SayingUsePost()
    {
        var response = await s_server.SendAsync(HttpMethod.Get, "v1/chat/completions");
        var error = await ServerFixture.ErrorAsync(response, 405);
        Assert.Contains("POST", error.GetProperty("message").GetString()!);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [TestMethod]
    public async Task MalformedJson_Is400()
    {
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", """{"messages": [{"role": "user", """), 400);
        Assert.AreEqual("invalid_request_error", error.GetProperty("type").GetString());
        Assert.AreEqual("invalid_json", error.GetProperty("code").GetString());
    }

    [TestMethod]
    [DataRow("\"temperature\": 2.5", "temperature")]
    [DataRow("\"temperature\": -0.1", "temperature")]
    [DataRow("\"temperature\": \"hot\"", "temperature")]
    [DataRow("\"top_p\": 0", "top_p")]
    [DataRow("\"top_p\": 1.5", "top_p")]
    [DataRow("\"max_tokens\": 0", "max_tokens")]
    [DataRow("\"max_completion_tokens\": -3", "max_completion_tokens")]
    [DataRow("\"n\": 2", "n")]
    [DataRow("\"presence_penalty\": 3", "presence_penalty")]
    [DataRow("\"stop\": 7", "stop")]
    [DataRow("\"tool_choice\": \"sometimes\"", "tool_choice")]
    public async Task BadParameter_Is400_NamingIt(string field, string param)
    {
        string json = $$"""{"messages":[{"role":"user","content":"hi"}], {{field}}}""";
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", json), 400);
        Assert.AreEqual(param, error.GetProperty("param").GetString());
        Assert.AreEqual("invalid_request_error", error.GetProperty("type").GetString());
    }

    [TestMethod]
    [DataRow("{}")]
    [DataRow("""{"messages": []}""")]
    [DataRow("""{"messages": [{"role": "wizard", "content": "hi"}]}""")]
    [DataRow("""{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}""")]
    public async Task BadMessages_Is400(string json)
    {
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", json), 400);
        Assert.StartsWith("messages", error.GetProperty("param").GetString()!);
    }

    [TestMethod]
    public async Task UnknownModel_Is404()
    {
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", Request(2, extra: "\"model\":\"gpt-4o\"")), 404);
        Assert.AreEqual("model_not_found", error.GetProperty("code").GetString());
        Assert.AreEqual("model", error.GetProperty("param").GetString());
        Assert.Contains("gpt-4o", error.GetProperty("message").GetString()!);
    }

    [TestMethod]
    public async Task ApiKey_MissingOrWrong_Is401()
    {
        foreach (string? key in new[] { null, "sk-wrong" })
        {
            var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", Request(2), key), 401);
            Assert.AreEqual("invalid_api_key", error.GetProperty("code").GetString());
            await ServerFixture.ErrorAsync(await s_server.SendAsync(HttpMethod.Get, "v1/models", key), 401);
        }
    }

    [TestMethod]
    public async Task UnknownRoute_Is404_InErrorShape()
    {
        var error = await ServerFixture.ErrorAsync(await s_server.SendAsync(HttpMethod.Get, "v1/embeddings"), 404);
        Assert.Contains("/v1/embeddings", error.GetProperty("message").GetString()!);
    }

    [TestMethod]
    public async Task OversizedBody_Is413()
    {
        string json = Request(2, user: new string('a', ServerFixture.MaxRequestBodyBytes + 1000));
        var response = await s_server.PostAsync("v1/chat/completions", json);
        var error = await ServerFixture.ErrorAsync(response, 413);
        Assert.AreEqual("request_too_large", error.GetProperty("code").GetString());
        Assert.IsTrue(response.Headers.ConnectionClose, "the half-read connection must not be reused");
    }

    [TestMethod]
    public async Task OversizedChunkedBody_Is413()
    {
        // No Content-Length: the limit is only found while reading, and still answered with the error body.
        byte[] json = Encoding.UTF8.GetBytes(Request(2, user: new string('a', ServerFixture.MaxRequestBodyBytes + 1000)));
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = new StreamContent(new MemoryStream(json)) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ServerFixture.ApiKey);
        var error = await ServerFixture.ErrorAsync(await s_server.Http.SendAsync(request), 413);
        Assert.AreEqual("request_too_large", error.GetProperty("code").GetString());
    }

    [TestMethod]
    public async Task ContextOverflow_Is400_ContextLengthExceeded()
    {
        // The tiny model's context holds 4096 tokens; prompt + 5000 requested output tokens cannot fit.
        foreach (bool stream in new[] { false, true })
        {
            var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", Request(5000, stream)), 400);
            Assert.AreEqual("context_length_exceeded", error.GetProperty("code").GetString());
        }
    }

    [TestMethod]
    public async Task StopSequences_AreHonoured()
    {
        string full = Content(await CompleteAsync(Request(24)));
        // A stop string taken from the middle of the greedy answer: the answer must end right before its first occurrence.
        int at = Enumerable.Range(3, full.Length - 5).First(i => !char.IsWhiteSpace(full[i]) && !char.IsWhiteSpace(full[i + 1]));
        string stop = full.Substring(at, 2);
        string expected = full[..full.IndexOf(stop, StringComparison.Ordinal)];

        foreach (string stopJson in new[] { JsonSerializer.Serialize(stop), JsonSerializer.Serialize(new[] { "\u0001never", stop }) })
        {
            var stopped = await CompleteAsync(Request(24, extra: $"\"stop\":{stopJson}"));
            Assert.AreEqual(expected, Content(stopped), $"stop {stopJson} in '{full}'");
            Assert.AreEqual("stop", Finish(stopped));
        }
    }

    [TestMethod]
    public async Task ContentParts_And_DeveloperRole_MapLikeStringsAndSystem()
    {
        string plain = Content(await CompleteAsync(Request(8)));
        string parts = """
            {"temperature":0,"max_tokens":8,"messages":[
              {"role":"developer","content":[{"type":"text","text":"You are a helpful "},{"type":"text","text":"assistant."}]},
              {"role":"user","content":[{"type":"text","text":"你好"}]}],
             "some_vendor_extension":{"ignored":true},"user":"u1","frequency_penalty":0,"seed":7}
            """;
        Assert.AreEqual(plain, Content(await CompleteAsync(parts)));
    }

    [TestMethod]
    public async Task ToolConversation_IsAccepted()
    {
        // A whole tool round trip as clients send it back: assistant tool_calls, then the tool's result.
        string json = """
            {"temperature":0,"max_tokens":4,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "tool_choice":"auto","messages":[
              {"role":"user","content":"Weather in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"18C, sunny"}]}
            """;
        var completion = await CompleteAsync(json);
        int generated = completion.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        Assert.IsTrue(generated is >= 1 and <= 4, $"{generated} tokens");
        // The prompt must contain the call and its result: far longer than the question alone.
        var bare = await CompleteAsync("""{"temperature":0,"max_tokens":1,"messages":[{"role":"user","content":"Weather in Paris?"}]}""");
        Assert.IsGreaterThan(bare.GetProperty("usage").GetProperty("prompt_tokens").GetInt32() + 20,
            completion.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [TestMethod]
    public async Task JsonSchemaResponseFormat_ConstrainsTheAnswer()
    {
        string format = """
            "response_format":{"type":"json_schema","json_schema":{"name":"verdict","schema":
              {"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}}}
            """;
        var completion = await CompleteAsync(Request(60, extra: format));
        string content = Content(completion);
        Assert.AreEqual("stop", Finish(completion), content);
        var answer = JsonDocument.Parse(content).RootElement;
        Assert.IsTrue(answer.GetProperty("ok").ValueKind is JsonValueKind.True or JsonValueKind.False, content);
    }

    [TestMethod]
    public async Task ToolChoiceNamingAnUnofferedFunction_Is400()
    {
        string json = """
            {"messages":[{"role":"user","content":"hi"}],
             "tools":[{"type":"function","function":{"name":"a","parameters":{"type":"object","properties":{}}}}],
             "tool_choice":{"type":"function","function":{"name":"b"}}}
            """;
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", json), 400);
        Assert.Contains("'b'", error.GetProperty("message").GetString()!);
    }

    [TestMethod]
    public async Task ClientDisconnect_CancelsGeneration()
    {
        using var cancel = new CancellationTokenSource();
        var response = await s_server.PostAsync("v1/chat/completions", Request(3000, stream: true),
            completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.AreEqual(200, (int)response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var reader = new StreamReader(stream, Encoding.UTF8);
        for (int events = 0; events < 4;)
            if ((await reader.ReadLineAsync())?.StartsWith("data: ", StringComparison.Ordinal) == true) events++;
        response.Dispose(); // closes the connection mid-stream

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !s_server.Logs.Lines.Any(l => l.Contains("client disconnected")))
            await Task.Delay(50);
        Assert.IsTrue(s_server.Logs.Lines.Any(l => l.Contains("client disconnected")), string.Join("\n", s_server.Logs.Lines));
        Assert.IsFalse(s_server.Logs.Lines.Any(l => l.Contains("3000 completion tokens")), "the generation ran to the end");
    }
}
