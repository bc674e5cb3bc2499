namespace HostedApp;

/// <summary>A remote OpenAI-compatible endpoint, bound from the "OpenAI" configuration section.</summary>
public sealed class OpenAIEndpointOptions
{
    public const string Section = "OpenAI";

    /// <summary>Base address including <c>/v1</c>, e.g. http://gpu-box:8000/v1 for vLLM.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The model name the server serves.</summary>
    public string? Model { get; set; }

    /// <summary>API key, when the server wants one (also read from OPENAI_API_KEY).</summary>
    public string? ApiKey { get; set; }
}
