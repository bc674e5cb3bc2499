using OnnxLlm.Hosting;
using OnnxLlm.Hub;
using OnnxLlm.Samples.OpenAiServer.Endpoints;

namespace OnnxLlm.Samples.OpenAiServer;

/// <summary>
/// Builds the OpenAI-compatible server: OnnxLlm's <c>IChatClient</c> registered with
/// <see cref="OnnxLlmServiceCollectionExtensions.AddOnnxLlmChatClient(IServiceCollection, IConfiguration)"/> from the
/// "OnnxLlm" configuration section, behind the <c>/v1/models</c> and <c>/v1/chat/completions</c> endpoints.
/// Public so tests (and hosts embedding the server) can build and start it in-process.
/// </summary>
public static class ServerApp
{
    /// <summary>Friendly command-line switches for the most common settings.</summary>
    public static readonly IReadOnlyDictionary<string, string> SwitchMappings = new Dictionary<string, string>
    {
        ["--model"] = "OnnxLlm:ModelPath",
        ["--model-id"] = "OnnxLlm:ModelId",
        ["--backend"] = "OnnxLlm:Backend",
        ["--precision"] = "OnnxLlm:Precision",
        ["--api-key"] = "OnnxLlm:Server:ApiKey",
    };

    /// <summary>
    /// Builds the app from command-line <paramref name="args"/> (plus appsettings.json and environment variables, as
    /// any ASP.NET Core app): <c>--model DIR</c> or <c>--OnnxLlm:ModelPath DIR</c>, <c>--urls</c>, any OnnxLlm option.
    /// Loads the model before returning, so a wrong path fails at startup rather than on the first request.
    /// <paramref name="configure"/> lets a caller adjust the builder (logging, extra configuration) before it is built.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
        // Added after the default sources, so these switches win like the rest of the command line.
        builder.Configuration.AddCommandLine(args, SwitchMappings.ToDictionary());
        configure?.Invoke(builder);

        builder.Services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.SectionName));
        builder.Services.PostConfigure<ServerOptions>(o =>
        {
            if (string.IsNullOrEmpty(o.ApiKey)) o.ApiKey = Environment.GetEnvironmentVariable(ServerOptions.ApiKeyEnvironmentVariable);
        });
        // --model takes a folder or a Hugging Face model id (pulled, exported and cached on first use).
        builder.Services.AddHuggingFaceModels(builder.Configuration.GetSection("OnnxLlm"));
        builder.Services.AddOnnxLlmChatClient(builder.Configuration.GetSection("OnnxLlm"));

        var app = builder.Build();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.UseMiddleware<ApiKeyMiddleware>();
        ModelsEndpoints.Map(app);
        ChatCompletionsEndpoint.Map(app);
        // Unknown routes get the OpenAI error shape too (ErrorHandlingMiddleware fills in the body).
        app.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });

        var model = app.Services.GetRequiredService<OnnxLlmModel>();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ServerOptions>>().Value;
        app.Logger.LogInformation("Serving {ModelId} from {Directory}; API key {KeyState}", model.ModelId, model.Directory,
            string.IsNullOrEmpty(options.ApiKey) ? "not required" : "required");
        return app;
    }
}
