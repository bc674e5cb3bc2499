using System.ClientModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OnnxLlm.Hosting;
using OpenAI;
using OnnxLlm.Hub;

namespace HostedApp;

/// <summary>Registers the IChatClient the configuration asks for; callers chain middleware on the returned builder.</summary>
public static class ChatBackendRegistration
{
    public static ChatClientBuilder AddChatBackend(this IServiceCollection services, IConfiguration configuration)
    {
        var backend = configuration.GetSection(AssistantOptions.Section).GetValue<ChatBackend?>(nameof(AssistantOptions.Provider)) ?? ChatBackend.Embedded;
        return backend switch
        {
            // Hugging Face model ids ("OnnxLlm:ModelPath": "Qwen/Qwen2.5-0.5B-Instruct") are pulled and exported on first use.
            ChatBackend.Embedded => services.AddHuggingFaceModels(configuration.GetSection("OnnxLlm")).AddOnnxLlmChatClient(configuration.GetSection("OnnxLlm")),
            ChatBackend.OpenAI => services.AddChatClient(_ => CreateOpenAIClient(configuration.GetSection(OpenAIEndpointOptions.Section).Get<OpenAIEndpointOptions>())),
            _ => throw new InvalidOperationException($"Chat:Provider '{backend}' is not Embedded or OpenAI."),
        };
    }

    private static IChatClient CreateOpenAIClient(OpenAIEndpointOptions? options)
    {
        if (options?.Endpoint is null || string.IsNullOrWhiteSpace(options.Model))
            throw new InvalidOperationException("Chat:Provider is OpenAI, so OpenAI:Endpoint and OpenAI:Model must be set.");
        // Local servers usually take no key, but the OpenAI client insists on one.
        string key = string.IsNullOrEmpty(options.ApiKey) ? Environment.GetEnvironmentVariable("OPENAI_API_KEY") ?? "unused" : options.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = options.Endpoint })
            .GetChatClient(options.Model)
            .AsIChatClient();
    }
}
