namespace HostedApp;

/// <summary>What the sample asks, bound from the "Chat" configuration section.</summary>
public sealed class AssistantOptions
{
    public const string Section = "Chat";

    /// <summary>Which backend answers (see <see cref="ChatBackend"/>).</summary>
    public ChatBackend Provider { get; set; } = ChatBackend.Embedded;

    /// <summary>The question asked on start-up.</summary>
    public string Prompt { get; set; } = "Why is the sky blue?";

    /// <summary>An optional system prompt.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Most tokens per answer.</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Sampling temperature (0 = greedy); null uses the backend's default.</summary>
    public float? Temperature { get; set; }
}
