namespace HostedApp;

/// <summary>Where answers come from.</summary>
public enum ChatBackend
{
    /// <summary>In-process through OnnxLlm (configuration section "OnnxLlm").</summary>
    Embedded,

    /// <summary>A remote OpenAI-compatible endpoint (configuration section "OpenAI").</summary>
    OpenAI,
}
