namespace OnnxLlm.Tools;

/// <summary>
/// The tool-call wire format of the Qwen2.5 chat template: <c>&lt;tool_call&gt;\n{"name": …, "arguments": {…}}\n&lt;/tool_call&gt;</c>;
/// the tags are single added tokens in Qwen's vocabulary.
/// </summary>
internal static class ToolCallFormat
{
    /// <summary>The opening tag.</summary>
    public const string OpenTag = "<tool_call>";

    /// <summary>The closing tag.</summary>
    public const string CloseTag = "</tool_call>";

    /// <summary>A new call id, unique per call (the template does not render ids; FunctionInvokingChatClient pairs results with them).</summary>
    public static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];
}
