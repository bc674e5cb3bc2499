using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Microsoft.SemanticKernel.Services;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.SemanticKernel;

/// <summary>
/// The Semantic Kernel connector against the synthetic qwen2-tiny export. The oracle is the peer: OnnxLlmChatClient
/// called directly with the ChatOptions the SK settings stand for must answer exactly what SK gets through the connector.
/// </summary>
[TestClass]
public sealed class SemanticKernelConnectorTests
{
    private static string s_model = "";
    private static OnnxLlmChatClient s_direct = null!;
    private static string s_modelId = "";

    [ClassInitialize]
    public static async Task LoadAsync(TestContext _)
    {
        s_model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        s_direct = new OnnxLlmChatClient(Options(s_model));
        s_modelId = s_direct.GetService<ChatClientMetadata>()!.DefaultModelId!;
    }

    [ClassCleanup]
    public static void Unload() => s_direct?.Dispose();

    private static OnnxLlmOptions Options(string model) => new() { ModelPath = model, IntraOpThreads = 1 };

    private static Kernel ChatCompletionKernel(string? serviceId = null) =>
        Kernel.CreateBuilder().AddOnnxLlmChatCompletion(s_model, serviceId, o => o.IntraOpThreads = 1).Build();

    private static PromptExecutionSettings Settings(params (string Key, object Value)[] values) =>
        new() { ExtensionData = values.ToDictionary(v => v.Key, v => v.Value) };

    [TestMethod]
    public async Task PromptFunction_AnswersWhatTheClientAnswersForTheRenderedPrompt()
    {
        var kernel = ChatCompletionKernel();
        var function = kernel.CreateFunctionFromPrompt("Say hello to {{$name}}.", Settings(("temperature", 0), ("max_tokens", 12)));

        var result = await kernel.InvokeAsync(function, new KernelArguments { ["name"] = "Ada" });

        var expected = await s_direct.GetResponseAsync("Say hello to Ada.", new ChatOptions { Temperature = 0, MaxOutputTokens = 12 });
        Assert.IsFalse(string.IsNullOrEmpty(expected.Text));
        Assert.AreEqual(expected.Text, result.GetValue<string>());
    }

    [TestMethod]
    public async Task PromptFunction_RunsOnTheChatClientRegistrationAlone()
    {
        var kernel = Kernel.CreateBuilder().AddOnnxLlmChatClient(s_model, configure: o => o.IntraOpThreads = 1).Build();

        var result = await kernel.InvokePromptAsync("你好", new KernelArguments(Settings(("temperature", 0), ("max_tokens", 8))));

        var expected = await s_direct.GetResponseAsync("你好", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });
        Assert.AreEqual(expected.Text, result.GetValue<string>());
    }

    [TestMethod]
    public async Task ChatHistory_MultiTurn_StreamingAndNot_MatchTheClient()
    {
        var kernel = ChatCompletionKernel();
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = Settings(("temperature", 0), ("max_tokens", 10));
        var history = new ChatHistory("You are a helpful assistant.");
        history.AddUserMessage("你好");
        var messages = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "你好") };

        var first = await chat.GetChatMessageContentAsync(history, settings, kernel);
        var expectedFirst = await s_direct.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        Assert.AreEqual(expectedFirst.Text, first.Content);
        Assert.AreEqual(AuthorRole.Assistant, first.Role);

        history.Add(first);
        history.AddUserMessage("Tell me more.");
        messages.AddRange(expectedFirst.Messages);
        messages.Add(new ChatMessage(ChatRole.User, "Tell me more."));
        var streamed = new StringBuilder();
        await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, settings, kernel))
            streamed.Append(chunk.Content);

        var expectedSecond = await s_direct.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = 10 });
        Assert.IsFalse(string.IsNullOrEmpty(expectedSecond.Text));
        Assert.AreEqual(expectedSecond.Text, streamed.ToString());
    }

    /// <summary>
    /// Each SK setting reaches the engine: SK's answer equals the direct client's with the mapped option, and the
    /// option changes the direct answer (so a setting dropped on the way would make the two differ).
    /// </summary>
    [TestMethod]
    [DataRow("temperature", 1.6, DisplayName = "temperature")]
    [DataRow("top_p", 0.05, DisplayName = "top_p")]
    [DataRow("top_k", 1, DisplayName = "top_k")]
    [DataRow("seed", 99, DisplayName = "seed")]
    [DataRow("max_tokens", 3, DisplayName = "max_tokens")]
    [DataRow("repetition_penalty", 3.0, DisplayName = "repetition_penalty")]
    [DataRow("presence_penalty", 2.0, DisplayName = "presence_penalty")]
    [DataRow("frequency_penalty", 2.0, DisplayName = "frequency_penalty")]
    public async Task PromptSettings_ReachTheEngine(string key, object value)
    {
        var kernel = ChatCompletionKernel();
        (string, object)[] baseline = [("temperature", 0.8), ("seed", 5), ("max_tokens", 16)];
        var changed = baseline.Where(b => b.Item1 != key).Append((key, value)).ToArray();

        string viaSk = (await kernel.InvokePromptAsync("Write a long story.", new KernelArguments(Settings(changed)))).GetValue<string>()!;

        string direct = (await s_direct.GetResponseAsync("Write a long story.", ToChatOptions(changed))).Text;
        string directBaseline = (await s_direct.GetResponseAsync("Write a long story.", ToChatOptions(baseline))).Text;
        Assert.AreNotEqual(directBaseline, direct, $"{key}={value} must change the answer for this test to prove anything");
        Assert.AreEqual(direct, viaSk, $"{key} did not reach the engine as ChatOptions would");
    }

    [TestMethod]
    public async Task StopSequences_ReachTheEngine()
    {
        var kernel = ChatCompletionKernel();
        string full = (await s_direct.GetResponseAsync("Write a long story.", new ChatOptions { Temperature = 0, MaxOutputTokens = 16 })).Text;
        string stop = full.Substring(full.Length / 2, 2);

        string viaSk = (await kernel.InvokePromptAsync("Write a long story.",
            new KernelArguments(Settings(("temperature", 0), ("max_tokens", 16), ("stop_sequences", new[] { stop }))))).GetValue<string>()!;

        Assert.AreEqual(full[..full.IndexOf(stop, StringComparison.Ordinal)], viaSk);
    }

    [TestMethod]
    public async Task ServiceSelection_ByModelIdAndServiceId()
    {
        var builder = Kernel.CreateBuilder().AddOnnxLlmChatCompletion(s_model, "onnx", o => o.IntraOpThreads = 1);
        builder.Services.AddKeyedSingleton<IChatCompletionService>("other", new FixedAnswerClient("other-model", "from the other service").AsChatCompletionService());
        var kernel = builder.Build();
        var ours = Settings(("temperature", 0), ("max_tokens", 6));
        ours.ModelId = s_modelId;

        string byModelId = (await kernel.InvokePromptAsync("你好", new KernelArguments(ours))).GetValue<string>()!;
        string byServiceId = (await kernel.InvokePromptAsync("你好", new KernelArguments(new PromptExecutionSettings { ServiceId = "other" }))).GetValue<string>()!;

        string expected = (await s_direct.GetResponseAsync("你好", new ChatOptions { Temperature = 0, MaxOutputTokens = 6 })).Text;
        Assert.AreEqual(expected, byModelId);
        Assert.AreEqual("from the other service", byServiceId);
        Assert.AreEqual(s_modelId, kernel.GetRequiredService<IChatCompletionService>("onnx").GetModelId());
    }

    [TestMethod]
    public void Registration_FollowsConnectorConventions()
    {
        var services = new ServiceCollection();
        services.AddOnnxLlmChatCompletion(s_model, "local", o => o.IntraOpThreads = 1);

        var descriptors = services.Where(d => d.IsKeyedService && Equals(d.ServiceKey, "local")).ToArray();
        CollectionAssert.AreEquivalent(new[] { typeof(IChatClient), typeof(IChatCompletionService) }, descriptors.Select(d => d.ServiceType).ToArray());
        Assert.IsTrue(descriptors.All(d => d.Lifetime == ServiceLifetime.Singleton));

        using (var provider = services.BuildServiceProvider())
        {
            var client = provider.GetRequiredKeyedService<IChatClient>("local");
            Assert.AreSame(client, provider.GetRequiredKeyedService<IChatClient>("local"));
            Assert.AreEqual("KernelFunctionInvokingChatClient", client.GetService<FunctionInvokingChatClient>()?.GetType().Name, "wrapped with UseKernelFunctionInvocation");
            Assert.IsNull(client.GetService<LoggingChatClient>(), "no logger factory, no logging middleware");
            Assert.AreEqual(s_modelId, client.GetService<ChatClientMetadata>()!.DefaultModelId);
            Assert.AreEqual(s_modelId, provider.GetRequiredKeyedService<IChatCompletionService>("local").GetModelId());
        }

        var logged = new ServiceCollection().AddLogging();
        logged.AddOnnxLlmChatClient(s_model, configure: o => o.IntraOpThreads = 1);
        using var loggedProvider = logged.BuildServiceProvider();
        Assert.IsNotNull(loggedProvider.GetRequiredService<IChatClient>().GetService<LoggingChatClient>(), "logging when a logger factory is registered");
    }

    [TestMethod]
    public void Registration_WithoutModelPath_FailsAtOnce()
    {
        var services = new ServiceCollection();
        Assert.ThrowsExactly<ArgumentException>(() => services.AddOnnxLlmChatCompletion(" "));
        Assert.ThrowsExactly<ArgumentException>(() => services.AddOnnxLlmChatClient(new OnnxLlmOptions()));
    }

    private static ChatOptions ToChatOptions((string Key, object Value)[] settings)
    {
        var options = new ChatOptions();
        foreach (var (key, value) in settings)
        {
            switch (key)
            {
                case "temperature": options.Temperature = Convert.ToSingle(value); break;
                case "top_p": options.TopP = Convert.ToSingle(value); break;
                case "top_k": options.TopK = Convert.ToInt32(value); break;
                case "seed": options.Seed = Convert.ToInt64(value); break;
                case "max_tokens": options.MaxOutputTokens = Convert.ToInt32(value); break;
                case "presence_penalty": options.PresencePenalty = Convert.ToSingle(value); break;
                case "frequency_penalty": options.FrequencyPenalty = Convert.ToSingle(value); break;
                default: (options.AdditionalProperties ??= [])[key] = value; break;
            }
        }
        return options;
    }

    /// <summary>Another chat service registered beside OnnxLlm, for service selection.</summary>
    private sealed class FixedAnswerClient(string modelId, string answer) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = modelId });

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, answer);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fixed", null, modelId) : null;

        public void Dispose() { }
    }
}
