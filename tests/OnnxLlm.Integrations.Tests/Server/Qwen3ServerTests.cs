using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// The server over a Qwen3 folder (qwen3-tiny): a thinking model's reasoning comes back as <c>reasoning_content</c>, in
/// the message and in stream deltas, apart from <c>content</c>; <c>reasoning_effort</c> and
/// <c>chat_template_kwargs.enable_thinking</c> switch thinking. The model's text is scripted (the random tiny model
/// does not think), so the prompt it was given is recorded and the reply is known.
/// </summary>
[TestClass]
public sealed class Qwen3ServerTests
{
    private const string Reply = "<think>\nThe user greets me.\n</think>\n\nHello there.";
    private const string EmptyThinkBlock = "<|im_start|>assistant\n<think>\n\n</think>\n\n";
    private static ServerFixture s_server = null!;

    [ClassInitialize]
    public static async Task Start(TestContext context) =>
        s_server = await ServerFixture.StartWithModelAsync(await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32));

    [ClassCleanup]
    public static async Task Stop()
    {
        if (s_server is not null) await s_server.DisposeAsync();
    }

    /// <summary>Scripts the next replies; returns the recorder of the prompts the model was given.</summary>
    private static ScriptedGeneration Script(params string[] replies)
    {
        var script = new ScriptedGeneration(s_server.ChatClient.Model.Tokenizer, replies);
        s_server.ChatClient.GenerateOverride = script.GenerateAsync;
        return script;
    }

    private static string Request(bool stream = false, string? extra = null) =>
        new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hi" }),
            ["stream"] = stream,
            ["stream_options"] = stream ? new JsonObject { ["include_usage"] = true } : null,
        }.ToJsonString()[..^1] + (extra is null ? "" : "," + extra) + "}";

    [TestMethod]
    public async Task Whole_ReturnsReasoningContentApartFromContent_AndCountsReasoningTokens()
    {
        Script(Reply);
        var response = await s_server.PostAsync("v1/chat/completions", Request());
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(200, (int)response.StatusCode, body);
        var root = JsonDocument.Parse(body).RootElement;
        var message = root.GetProperty("choices")[0].GetProperty("message");
        Assert.AreEqual("Hello there.", message.GetProperty("content").GetString());
        Assert.AreEqual("The user greets me.", message.GetProperty("reasoning_content").GetString());
        int reasoning = s_server.ChatClient.Model.Tokenizer.Encode("<think>\nThe user greets me.\n</think>").Count;
        Assert.AreEqual(reasoning, root.GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
    }

    [TestMethod]
    public async Task Stream_SendsReasoningDeltasBeforeContentDeltas()
    {
        Script(Reply);
        var response = await s_server.PostAsync("v1/chat/completions", Request(stream: true));
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(200, (int)response.StatusCode, body);
        var deltas = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e["data: ".Length..]).Where(d => d != "[DONE]")
            .Select(d => JsonDocument.Parse(d).RootElement)
            .Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta")).ToList();
        string Field(JsonElement d, string name) => d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        Assert.AreEqual("The user greets me.", string.Concat(deltas.Select(d => Field(d, "reasoning_content"))));
        Assert.AreEqual("Hello there.", string.Concat(deltas.Select(d => Field(d, "content"))));
        int lastReasoning = deltas.FindLastIndex(d => Field(d, "reasoning_content").Length > 0);
        int firstContent = deltas.FindIndex(d => Field(d, "content").Length > 0);
        Assert.IsLessThan(firstContent, lastReasoning, body);
        Assert.IsFalse(deltas.Any(d => Field(d, "reasoning_content").Length > 0 && Field(d, "content").Length > 0), "one kind of text per delta");
    }

    [TestMethod]
    [DataRow(null, true)]
    [DataRow("\"reasoning_effort\": \"none\"", false)]
    [DataRow("\"reasoning_effort\": \"high\"", true)]
    [DataRow("\"chat_template_kwargs\": {\"enable_thinking\": false}", false)]
    [DataRow("\"chat_template_kwargs\": {\"enable_thinking\": true}", true)]
    public async Task ThinkingSwitch_ReachesTheTemplate(string? extra, bool thinks)
    {
        var script = Script("Hi.");
        var response = await s_server.PostAsync("v1/chat/completions", Request(extra: extra));
        Assert.AreEqual(200, (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        string prompt = script.Prompts.Single();
        Assert.AreEqual(!thinks, prompt.EndsWith(EmptyThinkBlock, StringComparison.Ordinal), prompt);
        Assert.IsTrue(prompt.EndsWith("<|im_start|>assistant\n", StringComparison.Ordinal) == thinks, prompt);
    }

    [TestMethod]
    public async Task EarlierReasoningContent_IsAcceptedInHistory_AndLeftOutByTheTemplate()
    {
        var script = Script("Fine.");
        string json = new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "hi" },
                new JsonObject { ["role"] = "assistant", ["content"] = "Hello there.", ["reasoning_content"] = "The user greets me." },
                new JsonObject { ["role"] = "user", ["content"] = "how are you?" }),
        }.ToJsonString();
        var response = await s_server.PostAsync("v1/chat/completions", json);
        Assert.AreEqual(200, (int)response.StatusCode, await response.Content.ReadAsStringAsync());
        StringAssert.Contains(script.Prompts.Single(), "<|im_start|>assistant\nHello there.<|im_end|>");
        Assert.IsFalse(script.Prompts.Single().Contains("greets", StringComparison.Ordinal));
    }

    [TestMethod]
    [DataRow("\"reasoning_effort\": \"extreme\"", "reasoning_effort")]
    [DataRow("\"chat_template_kwargs\": {\"enable_thinking\": \"no\"}", "chat_template_kwargs.enable_thinking")]
    public async Task InvalidThinkingSwitch_Is400NamingTheParameter(string extra, string param)
    {
        Script("unused");
        var error = await ServerFixture.ErrorAsync(await s_server.PostAsync("v1/chat/completions", Request(extra: extra)), 400);
        Assert.AreEqual(param, error.GetProperty("param").GetString());
    }
}
