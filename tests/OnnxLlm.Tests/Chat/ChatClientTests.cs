using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Tests.Engine;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Chat;

/// <summary>OnnxLlmChatClient's IChatClient contract, on the synthetic qwen2-tiny export.</summary>
[TestClass]
public sealed class ChatClientTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "你好, what is ONNX?")];

    private static async Task<OnnxLlmChatClient> ClientAsync(int defaultMaxOutputTokens = 24) =>
        new(await TinyModel.GetAsync(), defaultMaxOutputTokens);

    [TestMethod]
    public async Task StreamingAndNonStreaming_GiveTheSameText_WithOneUsageMatchingTheTokenizer()
    {
        using var client = await ClientAsync();
        var options = new ChatOptions { Seed = 5, MaxOutputTokens = 20 };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question, options)) updates.Add(u);
        var response = await client.GetResponseAsync(Question, options);

        Assert.AreEqual(response.Text, string.Concat(updates.Select(u => u.Text)));
        var usages = updates.SelectMany(u => u.Contents).OfType<UsageContent>().ToList();
        Assert.HasCount(1, usages);
        Assert.AreSame(usages[0], updates[^1].Contents.OfType<UsageContent>().Single(), "usage comes in the last update");

        var model = client.Model;
        string prompt = model.ChatTemplate!.Render(new Dictionary<string, object?>
        {
            ["messages"] = Question.Select(m => (object?)new Dictionary<string, object?> { ["role"] = m.Role.Value, ["content"] = m.Text }).ToList(),
            ["add_generation_prompt"] = true,
        });
        Assert.AreEqual(model.Tokenizer.Encode(prompt).Count, (int)usages[0].Details.InputTokenCount!);
        Assert.AreEqual(20, (int)usages[0].Details.OutputTokenCount!);
        Assert.AreEqual(usages[0].Details.InputTokenCount + usages[0].Details.OutputTokenCount, usages[0].Details.TotalTokenCount);
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual(20, (int)response.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    public async Task EveryUpdate_CarriesIdsModelAndTimestamp()
    {
        using var client = await ClientAsync();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question, new ChatOptions { Seed = 1, MaxOutputTokens = 8 })) updates.Add(u);
        Assert.IsNotEmpty(updates);
        foreach (var u in updates)
        {
            Assert.IsFalse(string.IsNullOrEmpty(u.ResponseId));
            Assert.AreEqual(updates[0].ResponseId, u.ResponseId);
            Assert.AreEqual(updates[0].MessageId, u.MessageId);
            Assert.AreEqual(client.Model.ModelId, u.ModelId);
            Assert.IsNotNull(u.CreatedAt);
            Assert.AreEqual(ChatRole.Assistant, u.Role);
        }
        Assert.AreEqual(1, updates.Count(u => u.FinishReason is not null));
    }

    [TestMethod]
    public async Task NoMaxOutputTokens_StopsAtTheDefaultCap_WithFinishReasonLength()
    {
        using var client = await ClientAsync(defaultMaxOutputTokens: 6);
        var response = await client.GetResponseAsync(Question, new ChatOptions { Seed = 3 });
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual(6, (int)response.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    public async Task DefaultIsSampling_SeedMakesItRepeatable_TemperatureZeroIsGreedy()
    {
        using var client = await ClientAsync();
        var a = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16 });
        var b = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16 });
        Assert.AreNotEqual(a.Text, b.Text, "without a seed two answers should differ (sampling is the default)");
        var s1 = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16, Seed = 99 });
        var s2 = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16, Seed = 99 });
        Assert.AreEqual(s1.Text, s2.Text);
        var g1 = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16, Temperature = 0, Seed = 1 });
        var g2 = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 16, Temperature = 0, Seed = 2 });
        Assert.AreEqual(g1.Text, g2.Text, "greedy ignores the seed");
    }

    [TestMethod]
    public async Task Prompt_IsTheModelsOwnTemplateRendering()
    {
        using var client = await ClientAsync();
        using var doc = JsonDocument.Parse(File.ReadAllText(TestModels.TestData("chat-template-golden.json")));
        var golden = doc.RootElement.GetProperty("cases").EnumerateArray().First(c =>
            c.GetProperty("template").GetString() == "instruct" && c.GetProperty("case").GetString() == "system-user"
            && c.GetProperty("add_generation_prompt").GetBoolean());
        var messages = golden.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString())).ToList();
        var request = client.BuildRequest(messages, null);
        CollectionAssert.AreEqual(client.Model.Tokenizer.Encode(golden.GetProperty("rendered").GetString()!).ToArray(), request.PromptTokens.ToArray());
    }

    [TestMethod]
    public async Task Instructions_BecomeTheSystemTurn()
    {
        using var client = await ClientAsync();
        var withInstructions = client.BuildRequest([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Instructions = "Be brief." });
        var withSystem = client.BuildRequest([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hi")], null);
        CollectionAssert.AreEqual(withSystem.PromptTokens.ToArray(), withInstructions.PromptTokens.ToArray());
    }

    [TestMethod]
    public async Task OverLongRequest_ThrowsWithCounts_AndClientStaysUsable()
    {
        using var client = await ClientAsync();
        var ex = await Assert.ThrowsExactlyAsync<OnnxLlm.Generation.ContextLengthExceededException>(() =>
            client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 1_000_000 }));
        Assert.AreEqual(1_000_000, ex.RequestedOutputTokens);
        var ok = await client.GetResponseAsync(Question, new ChatOptions { MaxOutputTokens = 3, Seed = 1 });
        Assert.AreEqual(3, (int)ok.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    public async Task EightConcurrentRequests_WithCancellations_MatchTheirSequentialRuns()
    {
        using var model = await TinyModel.LoadNewAsync(o => o.MaxConcurrentGenerations = 2);
        using var client = new OnnxLlmChatClient(model, 24);
        ChatOptions Options(int i) => new() { Seed = 100 + i, MaxOutputTokens = 12 + i };
        var sequential = new string[8];
        for (int i = 0; i < 8; i += 2) sequential[i] = (await client.GetResponseAsync(Question, Options(i))).Text;

        var tasks = Enumerable.Range(0, 8).Select(async i =>
        {
            using var cts = new CancellationTokenSource();
            if (i % 2 == 1) cts.CancelAfter(TimeSpan.FromMilliseconds(5 * i));
            try
            {
                return (i, Text: (await client.GetResponseAsync(Question, Options(i), cts.Token)).Text, Cancelled: false);
            }
            catch (OperationCanceledException) when (i % 2 == 1)
            {
                return (i, Text: "", Cancelled: true);
            }
        }).ToArray();
        var results = await Task.WhenAll(tasks);
        foreach (var r in results.Where(r => r.i % 2 == 0))
            Assert.AreEqual(sequential[r.i], r.Text, $"request {r.i} differs from its sequential run");

        var after = await client.GetResponseAsync(Question, Options(0));
        Assert.AreEqual(sequential[0], after.Text, "the client must still work after cancellations");
    }

    [TestMethod]
    public async Task GetService_ReturnsMetadataModelAndSelf()
    {
        using var client = await ClientAsync();
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.IsNotNull(metadata);
        Assert.AreEqual(OnnxLlmChatClient.ProviderName, metadata.ProviderName);
        Assert.AreEqual(client.Model.ModelId, metadata.DefaultModelId);
        Assert.AreSame(client.Model, client.GetService<OnnxLlmModel>());
        Assert.AreSame(client, client.GetService<IChatClient>());
        Assert.IsNull(client.GetService(typeof(ChatClientMetadata), serviceKey: "other"));
    }

    [TestMethod]
    public async Task ModelId_MustNameThisModel()
    {
        using var client = await ClientAsync();
        var ok = await client.GetResponseAsync(Question, new ChatOptions { ModelId = client.Model.ModelId.ToUpperInvariant(), MaxOutputTokens = 2 });
        Assert.AreEqual(client.Model.ModelId, ok.ModelId);
        var ex = await Assert.ThrowsExactlyAsync<ArgumentException>(() => client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o" }));
        StringAssert.Contains(ex.Message, "gpt-4o");
    }

    [TestMethod]
    public async Task NullMessages_Throw()
    {
        using var client = await ClientAsync();
        await Assert.ThrowsExactlyAsync<ArgumentNullException>(() => client.GetResponseAsync((IEnumerable<ChatMessage>)null!));
    }
}
