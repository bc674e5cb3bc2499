using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OnnxLlm.Chat;

namespace OnnxLlm.Hosting;

/// <summary>Registers OnnxLlm's <see cref="IChatClient"/> in a service collection.</summary>
public static class OnnxLlmServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="OnnxLlmModel"/> and an <see cref="IChatClient"/> over it, configured in
    /// code. Returns M.E.AI's <see cref="ChatClientBuilder"/>, so middleware chains on:
    /// <c>.UseLogging().UseOpenTelemetry().UseFunctionInvocation()</c>. The model loads on first use.
    /// </summary>
    public static ChatClientBuilder AddOnnxLlmChatClient(this IServiceCollection services, Action<OnnxLlmOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<OnnxLlmOptions>().Configure(configure).Validate(o => !string.IsNullOrWhiteSpace(o.ModelPath),
            "OnnxLlmOptions.ModelPath must name a model folder or a model id.");
        return AddCore(services);
    }

    /// <summary>
    /// Registers the chat client with options bound from a configuration section (e.g. <c>configuration.GetSection("OnnxLlm")</c>,
    /// with keys ModelPath, ExecutionProvider, IntraOpThreads, DefaultMaxOutputTokens, ...).
    /// </summary>
    public static ChatClientBuilder AddOnnxLlmChatClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<OnnxLlmOptions>().Bind(configuration).Validate(o => !string.IsNullOrWhiteSpace(o.ModelPath),
            "OnnxLlmOptions.ModelPath (configuration key 'ModelPath') must name a model folder or a model id.");
        return AddCore(services);
    }

    private static ChatClientBuilder AddCore(IServiceCollection services)
    {
        // The container owns (and disposes) the model; clients built over it do not.
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<OnnxLlmOptions>>().Value;
            // A resolver registered in the container (OnnxLlm.Hub's AddHuggingFaceModels) serves options that name none.
            options.ModelResolver ??= sp.GetService<IModelResolver>();
            return OnnxLlmModel.Load(options, sp.GetService<ILoggerFactory>());
        });
        return services.AddChatClient(sp =>
        {
            var options = sp.GetRequiredService<IOptions<OnnxLlmOptions>>().Value;
            return new OnnxLlmChatClient(sp.GetRequiredService<OnnxLlmModel>(), options.DefaultMaxOutputTokens, sp.GetService<ILoggerFactory>())
            {
                EnableThinkingByDefault = options.EnableThinking,
            };
        });
    }
}
