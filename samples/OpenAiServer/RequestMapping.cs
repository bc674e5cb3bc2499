using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Samples.OpenAiServer.Protocol;

namespace OnnxLlm.Samples.OpenAiServer;

/// <summary>
/// Validates an OpenAI chat request and maps it onto M.E.AI's <see cref="ChatMessage"/>s and <see cref="ChatOptions"/>.
/// Validation happens here, before any generation, so bad values get a 400 naming the parameter (OpenAI's ranges)
/// instead of an exception from deep inside sampling.
/// </summary>
public static class RequestMapping
{
    public static List<ChatMessage> ToMessages(ChatCompletionRequest request)
    {
        if (request.Messages is not { Count: > 0 } messages)
            throw new OpenAiException(400, "'messages' must be a non-empty array.", param: "messages", code: "invalid_value");
        var result = new List<ChatMessage>(messages.Count);
        for (int i = 0; i < messages.Count; i++)
        {
            string at = $"messages[{i}]";
            var message = messages[i] ?? throw OpenAiException.InvalidValue(at, $"'{at}' must be an object.");
            string? text = ContentText(message.Content, $"{at}.content");
            ChatMessage mapped = message.Role switch
            {
                // "developer" is OpenAI's newer name for system instructions; Qwen templates know only "system".
                "system" or "developer" => new ChatMessage(ChatRole.System, text ?? ""),
                "user" => new ChatMessage(ChatRole.User, text ?? ""),
                "assistant" => Assistant(message, text, at),
                "tool" => new ChatMessage(ChatRole.Tool,
                    [new FunctionResultContent(message.ToolCallId ?? "", text ?? "")]),
                null => throw new OpenAiException(400, $"Missing required parameter: '{at}.role'.", param: $"{at}.role", code: "missing_required_parameter"),
                var other => throw OpenAiException.InvalidValue($"{at}.role",
                    $"Invalid value: '{other}'. Supported roles are 'system', 'developer', 'user', 'assistant' and 'tool'."),
            };
            if (message.Name is { Length: > 0 } name) mapped.AuthorName = name;
            result.Add(mapped);
        }
        return result;
    }

    public static ChatOptions ToOptions(ChatCompletionRequest request)
    {
        if (request.N is { } n && n != 1)
            throw OpenAiException.InvalidValue("n", $"Invalid value for 'n': {n}. This server generates one choice per request; n must be 1.");
        if (request.Temperature is { } t && (t < 0 || t > 2 || float.IsNaN(t)))
            throw OpenAiException.InvalidValue("temperature", $"Invalid value for 'temperature': {t}. It must be between 0 and 2.");
        if (request.TopP is { } p && (!(p > 0) || p > 1))
            throw OpenAiException.InvalidValue("top_p", $"Invalid value for 'top_p': {p}. It must be greater than 0 and at most 1.");
        if (request.MaxTokens is < 1)
            throw OpenAiException.InvalidValue("max_tokens", $"Invalid value for 'max_tokens': {request.MaxTokens}. It must be at least 1.");
        if (request.MaxCompletionTokens is < 1)
            throw OpenAiException.InvalidValue("max_completion_tokens",
                $"Invalid value for 'max_completion_tokens': {request.MaxCompletionTokens}. It must be at least 1.");
        Penalty(request.FrequencyPenalty, "frequency_penalty");
        Penalty(request.PresencePenalty, "presence_penalty");

        var options = new ChatOptions
        {
            // ModelId is checked by the endpoint and not passed on: the served model is the only one.
            MaxOutputTokens = request.MaxCompletionTokens ?? request.MaxTokens,
            Temperature = request.Temperature,
            TopP = request.TopP,
            Seed = request.Seed,
            FrequencyPenalty = request.FrequencyPenalty,
            PresencePenalty = request.PresencePenalty,
            StopSequences = Stops(request.Stop),
            AllowMultipleToolCalls = request.ParallelToolCalls,
            ResponseFormat = ResponseFormat(request.ResponseFormat),
            Reasoning = Reasoning(request),
        };
        var toolMode = ToolMode(request.ToolChoice); // validated even without tools, so a typo is reported, not ignored
        if (request.Tools is { Count: > 0 } tools)
        {
            options.Tools = tools.Select((tool, i) => Tool(tool, $"tools[{i}]")).ToList();
            options.ToolMode = toolMode;
        }
        return options;
    }

    private static void Penalty(float? value, string param)
    {
        if (value is { } v && (v < -2 || v > 2 || float.IsNaN(v)))
            throw OpenAiException.InvalidValue(param, $"Invalid value for '{param}': {v}. It must be between -2 and 2.");
    }

    /// <summary>Content as a string, or the concatenated text of an array of <c>{"type":"text","text":...}</c> parts.</summary>
    private static string? ContentText(JsonElement? content, string param)
    {
        if (content is not { } c || c.ValueKind == JsonValueKind.Null) return null;
        if (c.ValueKind == JsonValueKind.String) return c.GetString();
        if (c.ValueKind != JsonValueKind.Array)
            throw OpenAiException.InvalidValue(param, $"'{param}' must be a string or an array of content parts.");
        var text = new System.Text.StringBuilder();
        int i = 0;
        foreach (var part in c.EnumerateArray())
        {
            string partParam = $"{param}[{i++}]";
            string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var ty) && ty.ValueKind == JsonValueKind.String
                ? ty.GetString() : null;
            if (type is "text" && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                text.Append(t.GetString());
            else if (type is "refusal") continue; // an earlier assistant refusal carries no prompt text
            else
                // The model is text-only (Qwen2 / Qwen2.5 / Qwen3 LLMs): say so rather than silently drop images or audio.
                throw OpenAiException.InvalidValue($"{partParam}.type",
                    $"Unsupported content part type '{type ?? "(missing)"}' in '{partParam}'; this model accepts text parts only.");
        }
        return text.ToString();
    }

    /// <summary>
    /// <c>reasoning_effort</c> (OpenAI) or <c>chat_template_kwargs.enable_thinking</c> (vLLM's Qwen3 switch) as M.E.AI's
    /// reasoning option; the explicit effort wins. Neither: the server's default (OnnxLlm:EnableThinking).
    /// </summary>
    private static ReasoningOptions? Reasoning(ChatCompletionRequest request)
    {
        if (request.ReasoningEffort is { } effort)
        {
            return new ReasoningOptions
            {
                Effort = effort switch
                {
                    "none" => ReasoningEffort.None,
                    "minimal" or "low" => ReasoningEffort.Low,
                    "medium" => ReasoningEffort.Medium,
                    "high" => ReasoningEffort.High,
                    _ => throw OpenAiException.InvalidValue("reasoning_effort",
                        $"Invalid value for 'reasoning_effort': '{effort}'. Supported values are 'none', 'minimal', 'low', 'medium' and 'high'."),
                },
            };
        }
        if (request.ChatTemplateKwargs is not { ValueKind: not JsonValueKind.Null } kwargs) return null;
        if (kwargs.ValueKind != JsonValueKind.Object)
            throw OpenAiException.InvalidValue("chat_template_kwargs", "'chat_template_kwargs' must be an object.");
        if (!kwargs.TryGetProperty("enable_thinking", out var thinking) || thinking.ValueKind == JsonValueKind.Null) return null;
        if (thinking.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw OpenAiException.InvalidValue("chat_template_kwargs.enable_thinking", "'chat_template_kwargs.enable_thinking' must be a boolean.");
        return new ReasoningOptions { Effort = thinking.GetBoolean() ? ReasoningEffort.Medium : ReasoningEffort.None };
    }

    private static ChatMessage Assistant(ChatMessageDto message, string? text, string at)
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(message.ReasoningContent)) contents.Add(new TextReasoningContent(message.ReasoningContent));
        if (!string.IsNullOrEmpty(text)) contents.Add(new TextContent(text));
        for (int j = 0; j < (message.ToolCalls?.Count ?? 0); j++)
        {
            var call = message.ToolCalls![j];
            string param = $"{at}.tool_calls[{j}]";
            if (call?.Function?.Name is not { Length: > 0 } name)
                throw OpenAiException.InvalidValue($"{param}.function.name", $"'{param}.function.name' is required.");
            contents.Add(new FunctionCallContent(call.Id ?? $"call_{j}", name, Arguments(call.Function.Arguments, $"{param}.function.arguments")));
        }
        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static Dictionary<string, object?>? Arguments(string? json, string param)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw OpenAiException.InvalidValue(param, $"'{param}' must be a JSON object serialized as a string.");
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        }
        catch (JsonException ex)
        {
            throw OpenAiException.InvalidValue(param, $"'{param}' is not valid JSON: {ex.Message}");
        }
    }

    private static List<string>? Stops(JsonElement? stop)
    {
        if (stop is not { } s || s.ValueKind == JsonValueKind.Null) return null;
        var stops = new List<string>();
        if (s.ValueKind == JsonValueKind.String) stops.Add(s.GetString()!);
        else if (s.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in s.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                    throw OpenAiException.InvalidValue("stop", "'stop' must be a string or an array of strings.");
                stops.Add(item.GetString()!);
            }
        }
        else throw OpenAiException.InvalidValue("stop", "'stop' must be a string or an array of strings.");
        if (stops.Count > 4) throw OpenAiException.InvalidValue("stop", "'stop' may hold at most 4 sequences.");
        if (stops.Any(x => x.Length == 0)) throw OpenAiException.InvalidValue("stop", "'stop' sequences must not be empty.");
        return stops.Count == 0 ? null : stops;
    }

    private static AITool Tool(ToolDto tool, string param)
    {
        if (tool?.Type != "function")
            throw OpenAiException.InvalidValue($"{param}.type", $"Invalid value for '{param}.type': only 'function' tools are supported.");
        if (tool.Function?.Name is not { Length: > 0 } name)
            throw OpenAiException.InvalidValue($"{param}.function.name", $"'{param}.function.name' is required.");
        // A declaration only: the server never runs tools, it returns the model's tool_calls to the client.
        var schema = tool.Function.Parameters is { ValueKind: JsonValueKind.Object } p
            ? p
            : JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement;
        return AIFunctionFactory.CreateDeclaration(name, tool.Function.Description, schema);
    }

    private static ChatToolMode? ToolMode(JsonElement? choice)
    {
        if (choice is not { } c || c.ValueKind == JsonValueKind.Null) return null;
        if (c.ValueKind == JsonValueKind.String)
            return c.GetString() switch
            {
                "auto" => ChatToolMode.Auto,
                "none" => ChatToolMode.None,
                "required" => ChatToolMode.RequireAny,
                var other => throw OpenAiException.InvalidValue("tool_choice",
                    $"Invalid value for 'tool_choice': '{other}'. Use 'none', 'auto', 'required' or a function object."),
            };
        if (c.ValueKind == JsonValueKind.Object && c.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object
            && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } name)
            return ChatToolMode.RequireSpecific(name);
        throw OpenAiException.InvalidValue("tool_choice", "'tool_choice' must be a string or {\"type\":\"function\",\"function\":{\"name\":...}}.");
    }

    private static ChatResponseFormat? ResponseFormat(JsonElement? format)
    {
        if (format is not { } f || f.ValueKind == JsonValueKind.Null) return null;
        string? type = f.ValueKind == JsonValueKind.Object && f.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString() : null;
        switch (type)
        {
            case "text": return ChatResponseFormat.Text;
            case "json_object": return ChatResponseFormat.Json;
            case "json_schema":
                if (f.TryGetProperty("json_schema", out var js) && js.ValueKind == JsonValueKind.Object
                    && js.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
                {
                    string? name = js.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString() : null;
                    string? description = js.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    return ChatResponseFormat.ForJsonSchema(schema.Clone(), name, description);
                }
                throw OpenAiException.InvalidValue("response_format.json_schema", "'response_format.json_schema.schema' must be a JSON schema object.");
            default:
                throw OpenAiException.InvalidValue("response_format.type",
                    $"Invalid value for 'response_format.type': '{type}'. Use 'text', 'json_object' or 'json_schema'.");
        }
    }
}
