using System.Text.Json;

namespace OnnxLlm.ModelFolder;

/// <summary>Field access shared by the model-folder config readers (genai_config.json, onnxllm_contract.json).</summary>
internal static class JsonFields
{
    /// <summary>The named field of an object, or a <see cref="KeyNotFoundException"/> naming it (callers add the file).</summary>
    public static JsonElement Required(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value)
            ? value
            : throw new KeyNotFoundException($"required field '{name}' is missing.");

    /// <summary>A non-empty string field of an optional section, or <paramref name="fallback"/>.</summary>
    public static string Name(JsonElement section, string key, string fallback) =>
        section.ValueKind == JsonValueKind.Object && section.TryGetProperty(key, out var v) && v.GetString() is { Length: > 0 } s ? s : fallback;
}
