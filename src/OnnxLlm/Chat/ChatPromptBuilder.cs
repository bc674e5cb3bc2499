using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace OnnxLlm.Chat;

/// <summary>
/// Turns Microsoft.Extensions.AI messages into the variables a Hugging Face chat template expects
/// (<c>messages</c> with role/content/tool_calls, <c>tools</c>, <c>add_generation_prompt</c>), so the
/// model's own template decides the exact prompt text.
/// </summary>
internal static class ChatPromptBuilder
{
    /// <param name="messages">The conversation.</param>
    /// <param name="options">Instructions and tools.</param>
    /// <param name="bosToken">The template's <c>bos_token</c>.</param>
    /// <param name="eosToken">The template's <c>eos_token</c>.</param>
    /// <param name="enableThinking">Qwen3's <c>enable_thinking</c>; null leaves the variable undefined (models without thinking).</param>
    public static Dictionary<string, object?> BuildVariables(IEnumerable<ChatMessage> messages, ChatOptions? options,
        string? bosToken, string? eosToken, bool? enableThinking = null)
    {
        var list = new List<object?>();
        if (!string.IsNullOrEmpty(options?.Instructions))
            list.Add(Message("system", options.Instructions));
        foreach (var message in messages)
        {
            ArgumentNullException.ThrowIfNull(message, nameof(messages));
            AddMessage(list, message);
        }
        MergeLeadingSystemMessages(list);
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = list,
            ["tools"] = Tools(options),
            ["add_generation_prompt"] = true,
            ["bos_token"] = bosToken ?? "",
            ["eos_token"] = eosToken ?? "",
        };
        if (enableThinking is bool thinking) variables[Reasoning.ThinkingSwitch.TemplateVariable] = thinking;
        return variables;
    }

    private static void AddMessage(List<object?> list, ChatMessage message)
    {
        string role = message.Role.Value;
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<object?>();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    text.Append(t.Text);
                    break;
                case TextReasoningContent r:
                    // Qwen3's template reads reasoning_content and keeps it only where it still matters (tool rounds of the last query).
                    reasoning.Append(r.Text);
                    break;
                case FunctionCallContent call:
                    calls.Add(new Dictionary<string, object?>
                    {
                        ["type"] = "function",
                        ["id"] = call.CallId,
                        ["function"] = new Dictionary<string, object?>
                        {
                            ["name"] = call.Name,
                            ["arguments"] = ToTemplateValue(call.Arguments),
                        },
                    });
                    break;
                case FunctionResultContent result:
                    // Each result is its own "tool" message; the template groups consecutive ones.
                    list.Add(Message("tool", ResultText(result.Result)));
                    break;
                case DataContent or UriContent:
                    throw new NotSupportedException(
                        $"Message content of type {content.GetType().Name} ({(content as DataContent)?.MediaType ?? "uri"}) is not supported: Qwen2 / Qwen3 models read text only.");
                default:
                    break; // usage and other non-prompt content carry nothing the template renders
            }
        }
        if (text.Length == 0 && calls.Count == 0 && message.Contents.Any(c => c is FunctionResultContent))
            return;
        var entry = Message(role, text.ToString());
        if (reasoning.Length > 0 && role == "assistant") entry["reasoning_content"] = reasoning.ToString();
        if (calls.Count > 0) entry["tool_calls"] = calls;
        list.Add(entry);
    }

    /// <summary>Instructions plus a caller's own system message become one system turn, as templates expect at most one, first.</summary>
    private static void MergeLeadingSystemMessages(List<object?> list)
    {
        while (list.Count >= 2 && list[0] is Dictionary<string, object?> first && list[1] is Dictionary<string, object?> second
               && first["role"] as string == "system" && second["role"] as string == "system")
        {
            first["content"] = $"{first["content"]}\n\n{second["content"]}";
            list.RemoveAt(1);
        }
    }

    private static Dictionary<string, object?> Message(string role, string content) =>
        new() { ["role"] = role, ["content"] = content };

    private static List<object?>? Tools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || options.ToolMode is NoneChatToolMode) return null;
        var list = new List<object?>();
        foreach (var tool in tools)
        {
            if (tool is not AIFunctionDeclaration function) continue;
            list.Add(new Dictionary<string, object?>
            {
                ["type"] = "function",
                ["function"] = new Dictionary<string, object?>
                {
                    ["name"] = function.Name,
                    ["description"] = function.Description,
                    ["parameters"] = function.JsonSchema,
                },
            });
        }
        return list.Count > 0 ? list : null;
    }

    private static object? ToTemplateValue(IDictionary<string, object?>? arguments)
    {
        if (arguments is null) return new Dictionary<string, object?>();
        // Arguments may hold JsonElements, CLR values or POCOs; a JSON round trip gives the template one value model.
        return JsonSerializer.SerializeToElement(arguments, AIJsonUtilities.DefaultOptions);
    }

    private static string ResultText(object? result) => result switch
    {
        null => "",
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
        _ => JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions),
    };
}
