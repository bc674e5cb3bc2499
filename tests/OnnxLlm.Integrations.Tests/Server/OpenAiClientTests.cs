using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OpenAI;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// The sample server driven by the official OpenAI .NET client through Microsoft.Extensions.AI.OpenAI, with
/// OnnxLlmChatClient in-process as the peer oracle: greedy answers over HTTP must equal the embedded client's.
/// </summary>
[TestClass]
public sealed class OpenAiClientTests
{
    private static ServerFixture s_server = null!;
    private static OnnxLlmChatClient s_oracle = null!;

    [ClassInitialize]
    public static async Task Start(TestContext context)
    {
        s_server = await ServerFixture.StartAsync();
        s_oracle = new OnnxLlmChatClient(new OnnxLlmOptions
        {
            ModelPath = s_server.ModelDirectory,
            DefaultMaxOutputTokens = ServerFixture.DefaultMaxOutputTokens,
        });
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        s_oracle?.Dispose();
        if (s_server is not null) await s_server.DisposeAsync();
    }

    /// <summary>The model id as a client discovers it: from GET /v1/models.</summary>
    private static async Task<string> ListedModelIdAsync()
    {
        var response = await s_server.SendAsync(HttpMethod.Get, "v1/models");
        Assert.AreEqual(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data")[0].GetProperty("id").GetString()!;
    }

    private static IChatClient OpenAiChatClient(string modelId) =>
        new OpenAIClient(new ApiKeyCredential(ServerFixture.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(s_server.BaseAddress, "v1") })
            .GetChatClient(modelId).AsIChatClient();

    private static List<ChatMessage> SeedConversation() =>
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "你好"),
    ];

    [TestMethod]
    public async Task SeedRequest_GetsStreamedAndWholeAnswers()
    {
        var client = OpenAiChatClient(await ListedModelIdAsync());

        // The request exactly as the seed example sends it: no options, the model's own sampling defaults.
        var whole = await client.GetResponseAsync(SeedConversation());
        Assert.IsFalse(string.IsNullOrEmpty(whole.Text), "non-streamed answer is empty");
        Assert.IsGreaterThan(0L, whole.Usage?.OutputTokenCount ?? 0);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(SeedConversation())) updates.Add(update);
        Assert.IsGreaterThan(1, updates.Count(u => u.Text.Length > 0), "the answer should arrive in several chunks");
        Assert.IsFalse(string.IsNullOrEmpty(string.Concat(updates.Select(u => u.Text))), "streamed answer is empty");
    }

    [TestMethod]
    public async Task Greedy_StreamedEqualsWholeEqualsInProcessClient()
    {
        string modelId = await ListedModelIdAsync();
        var client = OpenAiChatClient(modelId);
        var options = new ChatOptions { Temperature = 0 };

        var expected = await s_oracle.GetResponseAsync(SeedConversation(), new ChatOptions { Temperature = 0 });
        var whole = await client.GetResponseAsync(SeedConversation(), options);
        var streamed = await client.GetStreamingResponseAsync(SeedConversation(), options).ToChatResponseAsync();

        Assert.IsFalse(string.IsNullOrEmpty(expected.Text));
        Assert.AreEqual(expected.Text, whole.Text);
        Assert.AreEqual(expected.Text, streamed.Text);
        Assert.AreEqual(modelId, whole.ModelId);
        Assert.AreEqual(expected.FinishReason, whole.FinishReason);
        Assert.AreEqual(expected.FinishReason, streamed.FinishReason);
        foreach (var usage in new[] { whole.Usage, streamed.Usage })
        {
            Assert.IsNotNull(usage);
            Assert.AreEqual(expected.Usage!.InputTokenCount, usage.InputTokenCount);
            Assert.AreEqual(expected.Usage.OutputTokenCount, usage.OutputTokenCount);
            Assert.AreEqual(expected.Usage.TotalTokenCount, usage.TotalTokenCount);
        }
    }

    [TestMethod]
    public async Task MaxOutputTokens_EndsWithLength()
    {
        var client = OpenAiChatClient(await ListedModelIdAsync());
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 3 };

        var whole = await client.GetResponseAsync(SeedConversation(), options);
        var streamed = await client.GetStreamingResponseAsync(SeedConversation(), options).ToChatResponseAsync();

        foreach (var response in new[] { whole, streamed })
        {
            Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
            Assert.AreEqual(3L, response.Usage?.OutputTokenCount);
        }
        Assert.AreEqual(whole.Text, streamed.Text);
    }

    [TestMethod]
    public async Task UnknownModel_IsRefusedWith404()
    {
        var client = OpenAiChatClient("gpt-4o");
        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(SeedConversation()));
        Assert.AreEqual(404, error.Status);
        Assert.Contains("model_not_found", error.Message);
    }

    [TestMethod]
    public async Task RequiredTool_ComesBackAsFunctionCall()
    {
        var client = OpenAiChatClient(await ListedModelIdAsync());
        var tool = AIFunctionFactory.CreateDeclaration("get_weather", "Gets the weather for a city.",
            JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 200, Tools = [tool], ToolMode = ChatToolMode.RequireAny };

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Weather in Paris?")], options);

        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("get_weather", call.Name);
        Assert.IsNotNull(call.Arguments);
        Assert.IsTrue(call.Arguments.ContainsKey("city"), string.Join(",", call.Arguments.Keys));
        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
    }
}
