using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Backends;
using OnnxLlm.Chat;
using OnnxLlm.Generation;
using OnnxLlm.Tests.Constraints;

namespace OnnxLlm.Tests.Conformance;

/// <summary>
/// OnnxLlmChatClient on both backends: the same greedy answer, usage, stop strings, limits, overflow, JSON-schema and
/// tool-call constraints. Our loop is the peer for GenAI (their logits are identical, so greedy text must be too).
/// </summary>
[TestClass]
public sealed class ChatClientConformanceTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "你好, what is ONNX?")];

    public static IEnumerable<object[]> Backends => BackendModels.Both;

    private static async Task<OnnxLlmChatClient> ClientAsync(InferenceBackend backend, int defaultMaxOutputTokens = 24) =>
        new(await BackendModels.GetAsync(backend), defaultMaxOutputTokens);

    [TestMethod]
    public async Task GreedyAnswer_IsTheSameTextOnBothBackends_WithTheSameUsage()
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 32 };
        using var ours = await ClientAsync(InferenceBackend.OnnxLlm);
        using var genAi = await ClientAsync(InferenceBackend.GenAI);
        var expected = await ours.GetResponseAsync(Question, options);
        var actual = await genAi.GetResponseAsync(Question, options);
        Assert.IsGreaterThan(0, expected.Text.Length);
        Assert.AreEqual(expected.Text, actual.Text);
        Assert.AreEqual(expected.FinishReason, actual.FinishReason);
        Assert.AreEqual(expected.Usage!.InputTokenCount, actual.Usage!.InputTokenCount);
        Assert.AreEqual(expected.Usage.OutputTokenCount, actual.Usage.OutputTokenCount);
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task StreamingAndNonStreaming_GiveTheSameText_WithOneUsageMatchingTheTokenizer(InferenceBackend backend)
    {
        using var client = await ClientAsync(backend);
        var options = new ChatOptions { Seed = 5, MaxOutputTokens = 20 };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question, options)) updates.Add(u);
        var response = await client.GetResponseAsync(Question, options);

        Assert.AreEqual(response.Text, string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();
        Assert.AreSame(usage, updates[^1].Contents.OfType<UsageContent>().Single(), "usage comes in the last update");
        Assert.AreEqual(client.BuildRequest(Question, options).PromptTokens.Count, (int)usage.Details.InputTokenCount!);
        Assert.AreEqual(20, (int)usage.Details.OutputTokenCount!);
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.IsTrue(updates[^1].AdditionalProperties!.ContainsKey("time_to_first_token_ms"));
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task NoMaxOutputTokens_StopsAtTheDefaultCap_WithFinishReasonLength(InferenceBackend backend)
    {
        using var client = await ClientAsync(backend, defaultMaxOutputTokens: 6);
        var response = await client.GetResponseAsync(Question, new ChatOptions { Seed = 3 });
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual(6, (int)response.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task StopString_EndsTheAnswerBeforeIt(InferenceBackend backend)
    {
        using var client = await ClientAsync(backend);
        var greedy = new ChatOptions { Temperature = 0, MaxOutputTokens = 32 };
        string free = (await client.GetResponseAsync(Question, greedy)).Text;
        Assert.IsGreaterThanOrEqualTo(6, free.Length, free);
        string stop = free.Substring(free.Length / 2, 2);
        var stopped = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 32, StopSequences = [stop] });
        Assert.AreEqual(free[..free.IndexOf(stop, StringComparison.Ordinal)], stopped.Text);
        Assert.AreEqual(ChatFinishReason.Stop, stopped.FinishReason);
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task OverLongRequest_ThrowsWithCounts_AndClientStaysUsable(InferenceBackend backend)
    {
        using var client = await ClientAsync(backend);
        var ex = await Assert.ThrowsExactlyAsync<ContextLengthExceededException>(() =>
            client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 1_000_000 }));
        Assert.AreEqual(1_000_000, ex.RequestedOutputTokens);
        var ok = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 3, Seed = 1 });
        Assert.AreEqual(3, (int)ok.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task JsonSchema_SampledOutputParsesAndValidates(InferenceBackend backend)
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer"},"tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":3}},"required":["name","age"]}""").RootElement;
        using var client = await ClientAsync(backend);
        for (int seed = 1; seed <= 3; seed++)
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Reply in JSON.")], new ChatOptions
            {
                Seed = seed, Temperature = 1.0f, MaxOutputTokens = 300, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "person"),
            });
            Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason, $"seed {seed}: {response.Text}");
            using var document = JsonDocument.Parse(response.Text);
            Assert.IsNull(SchemaValidator.Validate(document.RootElement, schema), $"seed {seed}: {response.Text}");
        }
    }

    [TestMethod]
    public async Task JsonSchema_GenAiGivesOurLoopsAnswer_ForTheSameSeed()
    {
        // Constraints run our sampler on GenAI's logits (OgaGenerator_GetLogits/SetLogits), so with identical logits
        // the same seed must produce the same constrained answer on both backends.
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"},"ok":{"type":"boolean"}},"required":["n","ok"]}""").RootElement;
        using var ours = await ClientAsync(InferenceBackend.OnnxLlm);
        using var genAi = await ClientAsync(InferenceBackend.GenAI);
        var options = new ChatOptions { Seed = 9, Temperature = 1.0f, MaxOutputTokens = 200, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "r") };
        var expected = await ours.GetResponseAsync(Question, options);
        var actual = await genAi.GetResponseAsync(Question, options);
        Assert.AreEqual(expected.Text, actual.Text);
        Assert.AreEqual(expected.Usage!.OutputTokenCount, actual.Usage!.OutputTokenCount);
    }

    [TestMethod]
    [DynamicData(nameof(Backends))]
    public async Task RequiredToolCall_IsOneValidCall(InferenceBackend backend)
    {
        var time = AIFunctionFactory.Create((int days, bool metric) => $"{days}", "forecast", "Forecast for some days.");
        using var client = await ClientAsync(backend);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather?")], new ChatOptions
        {
            Tools = [time], ToolMode = ChatToolMode.RequireAny, Seed = 4, Temperature = 1.0f, MaxOutputTokens = 200,
        });
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.IsNull(call.Exception, call.Exception?.Message);
        Assert.AreEqual("forecast", call.Name);
        Assert.IsNull(SchemaValidator.Validate(JsonSerializer.SerializeToElement(call.Arguments), time.JsonSchema));
        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [TestMethod]
    public async Task GetService_GenerationEngine_OnlyOnTheOnnxLlmBackend()
    {
        using var ours = await ClientAsync(InferenceBackend.OnnxLlm);
        using var genAi = await ClientAsync(InferenceBackend.GenAI);
        Assert.IsNotNull(ours.GetService<GenerationEngine>());
        Assert.IsNull(genAi.GetService<GenerationEngine>());
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => genAi.Model.Engine);
        StringAssert.Contains(ex.Message, "GenAI");
    }
}
