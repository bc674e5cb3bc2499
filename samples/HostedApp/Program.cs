using HostedApp;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

// A Generic Host app whose service receives an IChatClient by injection. Which model answers is configuration
// only: "Chat:Provider" = Embedded runs Qwen in-process through OnnxLlm (section "OnnxLlm"), OpenAI talks to any
// OpenAI-compatible endpoint (section "OpenAI": OnnxLlm's own server, vLLM, Ollama, ...). The code is the same.
var builder = Host.CreateApplicationBuilder(args);
// Logs go to stderr so stdout carries only the answer (and traces, when the console exporter is on).
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Services.AddOptions<AssistantOptions>().Bind(builder.Configuration.GetSection(AssistantOptions.Section));

builder.Services.AddChatBackend(builder.Configuration)
    .UseLogging()
    .UseOpenTelemetry(sourceName: AssistantTelemetry.SourceName);

var tracing = builder.Services.AddOpenTelemetry().WithTracing(t => t.AddSource(AssistantTelemetry.SourceName));
if (builder.Configuration.GetValue<bool>("Telemetry:ConsoleExporter"))
    tracing.WithTracing(t => t.AddConsoleExporter());

builder.Services.AddSingleton<Assistant>();
builder.Services.AddHostedService<AssistantWorker>();

await builder.Build().RunAsync();
return Environment.ExitCode;
