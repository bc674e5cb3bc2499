using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;
using OnnxLlm;
using OnnxLlm.Chat;

// Semantic Kernel connectors put their registration extensions in SK's namespace so they show up beside
// the built-in ones without another using.
namespace Microsoft.SemanticKernel;

/// <summary>
/// Registers OnnxLlm with Semantic Kernel through an <see cref="IServiceCollection"/>: an in-process Qwen
/// <see cref="IChatClient"/> (and, on request, SK's <see cref="IChatCompletionService"/> over it), keyed by SK
/// service id, with SK's function-invocation middleware and logging.
/// </summary>
public static class OnnxLlmKernelServiceCollectionExtensions
{
    /// <summary>
    /// Adds an OnnxLlm <see cref="IChatClient"/> as a keyed singleton (<paramref name="serviceId"/>; null for the
    /// default). The client is wrapped with <c>UseKernelFunctionInvocation</c> (so SK's function-choice behaviours and
    /// auto-invocation filters apply) and, when an <see cref="ILoggerFactory"/> is registered, with <c>UseLogging</c>.
    /// The model loads on first use and is disposed with the service provider.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelPath">A model folder made by <c>onnxllm export</c> (or ONNX Runtime GenAI's builder), or a Hugging Face model id.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <param name="configure">Further settings (execution provider, threads, default output cap, ...).</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is empty.</exception>
    public static IServiceCollection AddOnnxLlmChatClient(this IServiceCollection services, string modelPath,
        string? serviceId = null, Action<OnnxLlmOptions>? configure = null) =>
        services.AddOnnxLlmChatClient(OnnxLlmConnectorOptions.Create(modelPath, configure), serviceId);

    /// <summary>Adds an OnnxLlm <see cref="IChatClient"/> configured by <paramref name="options"/>; see the <c>modelPath</c> overload.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The client's settings; <see cref="OnnxLlmOptions.ModelPath"/> is required.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddOnnxLlmChatClient(this IServiceCollection services, OnnxLlmOptions options, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OnnxLlmConnectorOptions.Validate(options);
        services.AddKeyedSingleton<IChatClient>(serviceId, (provider, _) => CreateChatClient(provider, options));
        return services;
    }

    /// <summary>
    /// Adds SK's <see cref="IChatCompletionService"/> over an OnnxLlm chat client, both keyed by <paramref name="serviceId"/>.
    /// The chat completion service shares the keyed <see cref="IChatClient"/> (one model in memory); it is registered too
    /// unless one already is under that key.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelPath">A model folder or a Hugging Face model id.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <param name="configure">Further settings.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddOnnxLlmChatCompletion(this IServiceCollection services, string modelPath,
        string? serviceId = null, Action<OnnxLlmOptions>? configure = null) =>
        services.AddOnnxLlmChatCompletion(OnnxLlmConnectorOptions.Create(modelPath, configure), serviceId);

    /// <summary>Adds SK's <see cref="IChatCompletionService"/> over an OnnxLlm chat client configured by <paramref name="options"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The client's settings; <see cref="OnnxLlmOptions.ModelPath"/> is required.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddOnnxLlmChatCompletion(this IServiceCollection services, OnnxLlmOptions options, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OnnxLlmConnectorOptions.Validate(options);
        services.TryAddKeyedSingleton<IChatClient>(serviceId, (provider, _) => CreateChatClient(provider, options));
        services.AddKeyedSingleton<IChatCompletionService>(serviceId, (provider, key) =>
            provider.GetRequiredKeyedService<IChatClient>(key).AsChatCompletionService(provider));
        return services;
    }

    private static IChatClient CreateChatClient(IServiceProvider provider, OnnxLlmOptions options)
    {
        var loggerFactory = provider.GetService<ILoggerFactory>();
        var builder = new OnnxLlmChatClient(options, loggerFactory).AsBuilder().UseKernelFunctionInvocation(loggerFactory);
        if (loggerFactory is not null) builder.UseLogging(loggerFactory);
        // Disposing the pipeline disposes the OnnxLlm client, which frees the model it loaded.
        return builder.Build(provider);
    }
}
