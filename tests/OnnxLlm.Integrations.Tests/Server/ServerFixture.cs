using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OnnxLlm.Export.Precision;
using OnnxLlm.Samples.OpenAiServer;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// The OpenAI-compatible sample server started for real, in-process on Kestrel at 127.0.0.1 on a free port,
/// over the tiny synthetic model (exported in this test run), with an API key and a small body limit.
/// </summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    public const string ApiKey = "sk-test-0123456789";
    public const int DefaultMaxOutputTokens = 40;
    public const int MaxRequestBodyBytes = 64 * 1024;

    private readonly WebApplication _app;

    private ServerFixture(WebApplication app, string modelDirectory, Uri baseAddress, LogSink logs)
    {
        _app = app;
        ModelDirectory = modelDirectory;
        BaseAddress = baseAddress;
        Logs = logs;
        Http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string ModelDirectory { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }
    public LogSink Logs { get; }
    public string ModelId => _app.Services.GetRequiredService<OnnxLlmModel>().ModelId;

    /// <summary>The served chat client, for tests that script the model's text (<see cref="OnnxLlm.Chat.OnnxLlmChatClient.GenerateOverride"/>).</summary>
    public OnnxLlm.Chat.OnnxLlmChatClient ChatClient =>
        (OnnxLlm.Chat.OnnxLlmChatClient)_app.Services.GetRequiredService<Microsoft.Extensions.AI.IChatClient>().GetService(typeof(OnnxLlm.Chat.OnnxLlmChatClient))!;

    /// <summary>The server's services (e.g. the loaded <see cref="OnnxLlmModel"/>).</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="extraArguments">More command-line settings, e.g. <c>--OnnxLlm:MaxConcurrentGenerations 1</c>.</param>
    public static Task<ServerFixture> StartAsync(params string[] extraArguments) => StartCoreAsync(null, extraArguments);

    /// <summary>Serves <paramref name="modelDirectory"/> instead of the qwen2-tiny export.</summary>
    public static Task<ServerFixture> StartWithModelAsync(string modelDirectory, params string[] extraArguments) =>
        StartCoreAsync(modelDirectory, extraArguments);

    private static async Task<ServerFixture> StartCoreAsync(string? modelDirectory, string[] extraArguments)
    {
        string model = modelDirectory ?? await TestModels.TinyAsync(ExportPrecision.Fp32);
        var logs = new LogSink();
        var app = ServerApp.Build(
        [
            "--OnnxLlm:ModelPath", model, // the configuration-key form; ServerProcessTests uses the --model shortcut
            "--urls", "http://127.0.0.1:0",
            "--api-key", ApiKey,
            "--OnnxLlm:DefaultMaxOutputTokens", DefaultMaxOutputTokens.ToString(),
            "--OnnxLlm:Server:MaxRequestBodyBytes", MaxRequestBodyBytes.ToString(),
            .. extraArguments,
        ], builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ServerFixture(app, model, new Uri(address.TrimEnd('/') + "/"), logs);
    }

    /// <summary>POSTs <paramref name="json"/> to <paramref name="path"/> with the API key (unless <paramref name="key"/> says otherwise).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, string? key = ApiKey,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancel = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return Http.SendAsync(request, completion, cancel);
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key = ApiKey)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return Http.SendAsync(request);
    }

    /// <summary>Reads an error response and checks OpenAI's error shape: every key present, message and type strings.</summary>
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(status, (int)response.StatusCode, body);
        Assert.AreEqual("application/json", response.Content.Headers.ContentType?.MediaType, body);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.AreEqual(JsonValueKind.String, error.GetProperty("message").ValueKind, body);
        Assert.IsFalse(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), body);
        Assert.AreEqual(JsonValueKind.String, error.GetProperty("type").ValueKind, body);
        Assert.IsTrue(error.TryGetProperty("param", out _), body);
        Assert.IsTrue(error.TryGetProperty("code", out _), body);
        return error.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Captures the server's log lines, for behaviour only logs reveal (generation cancelled on disconnect).</summary>
    internal sealed class LogSink : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(LogSink sink, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel)) sink.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
            }
        }
    }
}
