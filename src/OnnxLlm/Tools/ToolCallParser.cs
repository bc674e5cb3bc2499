using System.Text.Json;
using Microsoft.Extensions.AI;

namespace OnnxLlm.Tools;

/// <summary>
/// Turns the JSON between one pair of tool-call tags into a <see cref="FunctionCallContent"/> with parsed
/// arguments (a dictionary of <see cref="JsonElement"/> values). Malformed JSON never throws: the content
/// carries the error in <see cref="FunctionCallContent.Exception"/> (name "unknown" unless one could be read),
/// which FunctionInvokingChatClient reports back to the model.
/// </summary>
internal static class ToolCallParser
{
    /// <summary>Parses a call body such as <c>{"name": "f", "arguments": {"x": 1}}</c>.</summary>
    /// <param name="json">The text between the tags (surrounding whitespace is ignored).</param>
    /// <param name="callId">The call id to give the content (null: a new unique one).</param>
    public static FunctionCallContent Parse(string json, string? callId = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        callId ??= ToolCallFormat.NewCallId();
        string? name = null;
        try
        {
            using var document = JsonDocument.Parse(json.Trim());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new JsonException($"A tool call must be a JSON object, not {root.ValueKind}.");
            if (root.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String)
                name = nameElement.GetString();
            if (string.IsNullOrEmpty(name))
                throw new JsonException("A tool call needs a string \"name\".");
            var arguments = ReadArguments(root);
            return new FunctionCallContent(callId, name, arguments) { RawRepresentation = json };
        }
        catch (JsonException ex)
        {
            return new FunctionCallContent(callId, name ?? "unknown")
            {
                Exception = new InvalidOperationException($"The model wrote a malformed tool call: {ex.Message} Text: {Truncate(json)}", ex),
                RawRepresentation = json,
            };
        }
    }

    private static Dictionary<string, object?> ReadArguments(JsonElement root)
    {
        // Qwen models write "arguments"; some fine-tunes write "parameters", or the arguments as a JSON string.
        if (!root.TryGetProperty("arguments", out var arguments) && !root.TryGetProperty("parameters", out arguments))
            return [];
        if (arguments.ValueKind == JsonValueKind.String)
        {
            string text = arguments.GetString() ?? "";
            if (text.Trim().Length == 0) return [];
            using var inner = JsonDocument.Parse(text);
            return ToDictionary(inner.RootElement);
        }
        if (arguments.ValueKind == JsonValueKind.Null) return [];
        return ToDictionary(arguments);
    }

    private static Dictionary<string, object?> ToDictionary(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
            throw new JsonException($"Tool call \"arguments\" must be a JSON object, not {arguments.ValueKind}.");
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in arguments.EnumerateObject())
            result[property.Name] = property.Value.Clone(); // outlives the document
        return result;
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
