using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Integrations.Tests.Server;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Samples;

/// <summary>
/// The hosted (Generic Host + DI) sample with its own appsettings.json: the embedded backend answers like the
/// direct client, traced through UseOpenTelemetry; switching "Chat:Provider" to OpenAI sends the same request to a
/// remote OpenAI-compatible endpoint without any code change.
/// </summary>
[TestClass]
public sealed class HostedAppSmokeTests
{
    /// <summary>The sample's project folder, so it runs with its real appsettings.json.</summary>
    private static string ContentRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "OnnxLlm.sln"))) return Path.Combine(dir.FullName, "samples", "HostedApp");
            throw new DirectoryNotFoundException("OnnxLlm.sln not found above the test folder.");
        }
    }

    [TestMethod]
    public async Task Embedded_AnswersWithTheConfiguredSystemPrompt_AndTraces()
    {
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var (exit, stdout, stderr) = await DotnetProcess.RunAsync(DotnetProcess.StartInfo("HostedApp.dll",
            "--contentRoot", ContentRoot, "--OnnxLlm:ModelPath", model, "--OnnxLlm:IntraOpThreads", "1",
            "--Chat:Prompt", "你好", "--Chat:Temperature", "0", "--Chat:MaxOutputTokens", "6", "--Telemetry:ConsoleExporter", "true"),
            TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, stderr + stdout);

        // appsettings.json sets Chat:SystemPrompt; the answer must be the one for that conversation.
        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = model, IntraOpThreads = 1 });
        var expected = await direct.GetResponseAsync(
            [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "你好")], new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        StringAssert.StartsWith(stdout, expected.Text, stdout);
        StringAssert.Contains(stdout, "Activity.DisplayName:        chat ", "UseOpenTelemetry traced the call");
        StringAssert.Contains(stdout, "gen_ai.usage.output_tokens: 6");
    }

    [TestMethod]
    public async Task OpenAIProvider_SendsTheSameConversationToTheRemoteEndpoint()
    {
        await using var remote = await FakeOpenAIEndpoint.StartAsync("Hello from the cluster.");
        var (exit, stdout, stderr) = await DotnetProcess.RunAsync(DotnetProcess.StartInfo("HostedApp.dll",
            "--contentRoot", ContentRoot, "--Chat:Provider", "OpenAI", "--OpenAI:Endpoint", remote.BaseAddress + "v1",
            "--OpenAI:Model", "qwen-on-vllm", "--Chat:Prompt", "你好", "--Chat:MaxOutputTokens", "6"),
            TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, stderr + stdout);

        StringAssert.StartsWith(stdout, "Hello from the cluster.");
        var request = JsonDocument.Parse(remote.Requests.Single()).RootElement;
        Assert.AreEqual("qwen-on-vllm", request.GetProperty("model").GetString());
        Assert.IsTrue(request.GetProperty("stream").GetBoolean());
        var messages = request.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), ContentText(m))).ToArray();
        CollectionAssert.AreEqual(new[] { ("system", "You are a helpful assistant."), ("user", "你好") }, messages);
    }

    /// <summary>
    /// The whole switch, end to end: the hosted app configured for OpenAI, pointed at OnnxLlm's own OpenAI-compatible
    /// server over the same model, answers exactly what the embedded configuration answers.
    /// </summary>
    [TestMethod]
    public async Task OpenAIProvider_AgainstOnnxLlmsServer_AnswersLikeEmbedded()
    {
        await using var server = await ServerFixture.StartAsync();
        var (exit, stdout, stderr) = await DotnetProcess.RunAsync(DotnetProcess.StartInfo("HostedApp.dll",
            "--contentRoot", ContentRoot, "--Chat:Provider", "OpenAI", "--OpenAI:Endpoint", server.BaseAddress + "v1",
            "--OpenAI:Model", server.ModelId, "--OpenAI:ApiKey", ServerFixture.ApiKey,
            "--Chat:Prompt", "你好", "--Chat:Temperature", "0", "--Chat:MaxOutputTokens", "6"),
            TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, stderr + stdout);

        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = server.ModelDirectory, IntraOpThreads = 1 });
        var expected = await direct.GetResponseAsync(
            [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "你好")], new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        Assert.AreEqual(expected.Text + "\n", stdout);
    }

    [TestMethod]
    public async Task OpenAIProvider_WithoutEndpoint_FailsWithAClearMessage()
    {
        var (exit, stdout, stderr) = await DotnetProcess.RunAsync(DotnetProcess.StartInfo("HostedApp.dll",
            "--contentRoot", ContentRoot, "--Chat:Provider", "OpenAI", "--OpenAI:Endpoint", "", "--Chat:Prompt", "你好"),
            TimeSpan.FromMinutes(2));
        Assert.AreNotEqual(0, exit);
        StringAssert.Contains(stdout + stderr, "OpenAI:Endpoint and OpenAI:Model must be set");
    }

    private static string? ContentText(JsonElement message) =>
        message.GetProperty("content") is { ValueKind: JsonValueKind.String } s ? s.GetString()
        : string.Concat(message.GetProperty("content").EnumerateArray().Select(p => p.GetProperty("text").GetString()));

    /// <summary>A stand-in for a remote OpenAI-compatible server: streams a fixed answer and records request bodies.</summary>
    private sealed class FakeOpenAIEndpoint : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeOpenAIEndpoint(WebApplication app) => _app = app;

        public ConcurrentQueue<string> Requests { get; } = new();

        public string BaseAddress { get; private set; } = "";

        public static async Task<FakeOpenAIEndpoint> StartAsync(string answer)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var endpoint = new FakeOpenAIEndpoint(app);
            app.MapPost("/v1/chat/completions", async (HttpContext context) =>
            {
                endpoint.Requests.Enqueue(await new StreamReader(context.Request.Body).ReadToEndAsync());
                context.Response.ContentType = "text/event-stream";
                foreach (var chunk in new[] { answer[..5], answer[5..] })
                    await context.Response.WriteAsync("data: " + JsonSerializer.Serialize(new
                    {
                        id = "chatcmpl-1", @object = "chat.completion.chunk", created = 1, model = "qwen-on-vllm",
                        choices = new[] { new { index = 0, delta = new { content = chunk }, finish_reason = (string?)null } },
                    }) + "\n\n");
                await context.Response.WriteAsync("data: [DONE]\n\n");
            });
            await app.StartAsync();
            endpoint.BaseAddress = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
            return endpoint;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
