using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace OnnxLlm.Hub;

/// <summary>Registers Hugging Face model ids for OnnxLlm's dependency-injection setup.</summary>
public static class HubServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="HuggingFaceModelResolver"/> as the container's <see cref="IModelResolver"/>, so that
    /// <c>AddOnnxLlmChatClient</c> with <c>ModelPath = "Qwen/Qwen2.5-0.5B-Instruct"</c> pulls, exports and caches the model
    /// on first use.
    /// </summary>
    public static IServiceCollection AddHuggingFaceModels(this IServiceCollection services, Action<HuggingFaceModelResolverOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new HuggingFaceModelResolverOptions();
        configure?.Invoke(options);
        services.AddSingleton<IModelResolver>(new HuggingFaceModelResolver(options));
        return services;
    }

    /// <summary>
    /// Registers a <see cref="HuggingFaceModelResolver"/> with settings bound from configuration: <c>Precision</c>
    /// (fp16, fp32, int4, int8) and a <c>Hub</c> subsection (Endpoint, Token, Offline, CacheDirectory, ...), over the
    /// environment's defaults. Pass the same section as <c>AddOnnxLlmChatClient</c> (e.g. <c>"OnnxLlm"</c>).
    /// </summary>
    public static IServiceCollection AddHuggingFaceModels(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddHuggingFaceModels(configuration.Bind);
    }
}
