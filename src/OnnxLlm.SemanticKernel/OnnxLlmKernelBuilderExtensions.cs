using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel.ChatCompletion;
using OnnxLlm;

namespace Microsoft.SemanticKernel;

/// <summary>Registers OnnxLlm on a Semantic Kernel <see cref="IKernelBuilder"/> (see <see cref="OnnxLlmKernelServiceCollectionExtensions"/>).</summary>
public static class OnnxLlmKernelBuilderExtensions
{
    /// <summary>Adds an OnnxLlm <see cref="IChatClient"/> to the kernel's services, keyed by <paramref name="serviceId"/>.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="modelPath">A model folder made by <c>onnxllm export</c>, or a Hugging Face model id.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <param name="configure">Further settings (execution provider, threads, default output cap, ...).</param>
    /// <returns>The same kernel builder.</returns>
    public static IKernelBuilder AddOnnxLlmChatClient(this IKernelBuilder builder, string modelPath,
        string? serviceId = null, Action<OnnxLlmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOnnxLlmChatClient(modelPath, serviceId, configure);
        return builder;
    }

    /// <summary>Adds an OnnxLlm <see cref="IChatClient"/> configured by <paramref name="options"/>.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="options">The client's settings; <see cref="OnnxLlmOptions.ModelPath"/> is required.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <returns>The same kernel builder.</returns>
    public static IKernelBuilder AddOnnxLlmChatClient(this IKernelBuilder builder, OnnxLlmOptions options, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOnnxLlmChatClient(options, serviceId);
        return builder;
    }

    /// <summary>Adds SK's <see cref="IChatCompletionService"/> over an OnnxLlm chat client, keyed by <paramref name="serviceId"/>.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="modelPath">A model folder or a Hugging Face model id.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <param name="configure">Further settings.</param>
    /// <returns>The same kernel builder.</returns>
    public static IKernelBuilder AddOnnxLlmChatCompletion(this IKernelBuilder builder, string modelPath,
        string? serviceId = null, Action<OnnxLlmOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOnnxLlmChatCompletion(modelPath, serviceId, configure);
        return builder;
    }

    /// <summary>Adds SK's <see cref="IChatCompletionService"/> over an OnnxLlm chat client configured by <paramref name="options"/>.</summary>
    /// <param name="builder">The kernel builder.</param>
    /// <param name="options">The client's settings; <see cref="OnnxLlmOptions.ModelPath"/> is required.</param>
    /// <param name="serviceId">SK's local identifier of this service.</param>
    /// <returns>The same kernel builder.</returns>
    public static IKernelBuilder AddOnnxLlmChatCompletion(this IKernelBuilder builder, OnnxLlmOptions options, string? serviceId = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOnnxLlmChatCompletion(options, serviceId);
        return builder;
    }
}
