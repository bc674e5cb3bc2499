using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OnnxLlm.Chat;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Hosting;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Chat;

/// <summary>DI registration, middleware chaining, logging of base models, invalid logits and disposal.</summary>
[TestClass]
public sealed class HostingAndLifetimeTests
{
    [TestMethod]
    public async Task AddOnnxLlmChatClient_FromConfiguration_ChainsMiddleware_AndAnswers()
    {
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OnnxLlm:ModelPath"] = folder,
            ["OnnxLlm:ModelId"] = "tiny",
            ["OnnxLlm:IntraOpThreads"] = "1",
            ["OnnxLlm:DefaultMaxOutputTokens"] = "4",
        }).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection().AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddOnnxLlmChatClient(configuration.GetSection("OnnxLlm")).UseLogging();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        Assert.AreEqual("tiny", client.GetService<ChatClientMetadata>()!.DefaultModelId, "metadata must flow through middleware");
        var response = await client.GetResponseAsync("hello", new ChatOptions { Seed = 1 });
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual(4, (int)response.Usage!.OutputTokenCount!);
        Assert.IsTrue(logs.Entries.Any(e => e.Category.Contains("LoggingChatClient")), "UseLogging() must be in the pipeline");
    }

    [TestMethod]
    public void AddOnnxLlmChatClient_WithoutModelPath_FailsWithTheOptionName()
    {
        var services = new ServiceCollection();
        services.AddOnnxLlmChatClient(_ => { });
        using var provider = services.BuildServiceProvider();
        var ex = Assert.Throws<Exception>(() => provider.GetRequiredService<IChatClient>());
        StringAssert.Contains(ex.Message, "ModelPath");
    }

    [TestMethod]
    public async Task BaseModelUsedForChat_LogsAWarningOnce()
    {
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp32, tokenizer: "base");
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = 1, DefaultMaxOutputTokens = 2 }, factory);
        Assert.IsTrue(client.Model.IsBaseModel);
        await client.GetResponseAsync("hi");
        await client.GetResponseAsync("hi again");
        Assert.AreEqual(1, logs.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("base")));

        using var instruct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        Assert.IsFalse(instruct.Model.IsBaseModel);
    }

    [TestMethod]
    public async Task NaNLogits_StopWithAnErrorNamingTheStep()
    {
        // Poison the final norm's weights in a copy of the fp32 export: every logit becomes NaN.
        string source = await TestModels.TinyAsync(ExportPrecision.Fp32);
        string folder = TestModels.CopyFolder(source, "nan");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, "model.onnx")));
        var norm = model.Graph.Initializer.Single(t => t.Name == "model.norm.weight");
        long offset = long.Parse(norm.ExternalData.Single(e => e.Key == "offset").Value);
        using (var data = new FileStream(Path.Combine(folder, "model.onnx.data"), FileMode.Open))
        {
            data.Position = offset;
            data.Write(BitConverter.GetBytes(float.NaN));
        }
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = 1 });
        var ex = await Assert.ThrowsExactlyAsync<InvalidLogitsException>(() => client.GetResponseAsync("hi", new ChatOptions { MaxOutputTokens = 4 }));
        StringAssert.Contains(ex.Message, "step 0");
    }

    [TestMethod]
    public async Task DisposedClient_Throws_AndOwnedModelIsReleased()
    {
        var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        client.Dispose();
        client.Dispose(); // idempotent
        await Assert.ThrowsExactlyAsync<ObjectDisposedException>(() => client.GetResponseAsync("hi"));
        Assert.ThrowsExactly<ObjectDisposedException>(() => client.Model.Engine.GenerateAsync(new OnnxLlm.Generation.GenerationRequest { PromptTokens = [1], MaxNewTokens = 1 }).GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
    }

    [TestMethod]
    public void MissingModelFolder_NamesIt()
    {
        var ex = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = "/no/such/model" }));
        StringAssert.Contains(ex.Message, "/no/such/model");
        // Without a resolver, a model id is not found either, and the message says what would load one.
        var id = Assert.ThrowsExactly<DirectoryNotFoundException>(() => new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = "Qwen/No-Such-Model" }));
        StringAssert.Contains(id.Message, "OnnxLlm.Hub");
    }

    [TestMethod]
    public async Task ModelResolver_TurnsANameIntoAFolder_AndNamesTheModel()
    {
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var resolver = new FolderAliasResolver("acme/tiny", folder);
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = "acme/tiny", ModelResolver = resolver, IntraOpThreads = 1 });
        Assert.AreEqual("acme/tiny", client.Model.ModelId);
        Assert.AreEqual(folder, client.Model.Directory);
        Assert.AreEqual(1, resolver.Calls);
        // A name the resolver does not know is the same clear error as a missing folder.
        var ex = Assert.ThrowsExactly<DirectoryNotFoundException>(() =>
            new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = "acme/other", ModelResolver = resolver }));
        StringAssert.Contains(ex.Message, nameof(FolderAliasResolver));
    }

    [TestMethod]
    public async Task UnsupportedChatTemplate_FailsAtLoad_NamingItsFile()
    {
        string folder = TestModels.CopyFolder(await TestModels.TinyAsync(ExportPrecision.Fp32), "bad-template");
        string config = Path.Combine(folder, "tokenizer_config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
        json["chat_template"] = "{% for m in messages %}{{ m.content }";
        File.WriteAllText(config, json.ToJsonString());
        var ex = Assert.Throws<OnnxLlm.Templates.ChatTemplateException>(() => OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder }));
        StringAssert.Contains(ex.Message, config);
    }

    private sealed class FolderAliasResolver(string alias, string folder) : IModelResolver
    {
        public int Calls { get; private set; }

        public Task<ResolvedModel?> ResolveAsync(ModelResolveRequest request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(request.ModelPath == alias ? new ResolvedModel(folder, alias) : null);
        }
    }

    [TestMethod]
    public async Task CoreMLOnLinux_IsAClearError_OrALoggedFallbackWhenAllowed()
    {
        if (OperatingSystem.IsMacOS()) Assert.Inconclusive("CoreML exists on macOS.");
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var ex = Assert.ThrowsExactly<PlatformNotSupportedException>(() =>
            OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, ExecutionProvider = OnnxLlm.Runtime.ExecutionProvider.CoreML }));
        StringAssert.Contains(ex.Message, "macOS");

        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var model = OnnxLlmModel.Load(new OnnxLlmOptions
        {
            ModelPath = folder, ExecutionProvider = OnnxLlm.Runtime.ExecutionProvider.CoreML, AllowExecutionProviderFallback = true, IntraOpThreads = 1,
        }, factory);
        Assert.IsTrue(logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("CoreML")));
    }
}
