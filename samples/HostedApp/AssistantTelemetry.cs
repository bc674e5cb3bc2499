namespace HostedApp;

/// <summary>The ActivitySource name under which chat calls are traced (M.E.AI's OpenTelemetry middleware).</summary>
public static class AssistantTelemetry
{
    public const string SourceName = "HostedApp.Chat";
}
