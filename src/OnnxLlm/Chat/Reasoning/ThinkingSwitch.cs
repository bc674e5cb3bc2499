using Microsoft.Extensions.AI;

namespace OnnxLlm.Chat.Reasoning;

/// <summary>
/// Reads a request's thinking settings from Microsoft.Extensions.AI's own reasoning option,
/// <see cref="ChatOptions.Reasoning"/>: <see cref="ReasoningEffort.None"/> turns thinking off (Qwen3's
/// <c>enable_thinking=false</c>), any other effort turns it on, and no effort keeps the client's default
/// (<see cref="OnnxLlmOptions.EnableThinking"/>). <see cref="ReasoningOutput.None"/> keeps the reasoning out of the
/// response (the model still thinks when thinking is on; <see cref="ReasoningOutput.Summary"/> is treated as Full).
/// </summary>
internal static class ThinkingSwitch
{
    /// <summary>The chat-template variable Qwen3's template reads.</summary>
    public const string TemplateVariable = "enable_thinking";

    /// <summary>Whether the model should think for this request.</summary>
    public static bool IsEnabled(ChatOptions? options, bool byDefault) => options?.Reasoning?.Effort switch
    {
        null => byDefault,
        ReasoningEffort.None => false,
        _ => true,
    };

    /// <summary>Whether reasoning text is returned as <see cref="TextReasoningContent"/>.</summary>
    public static bool ShowsReasoning(ChatOptions? options) => options?.Reasoning?.Output != ReasoningOutput.None;
}
