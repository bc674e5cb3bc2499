using System.Text.Json;

namespace OnnxLlm.Tests.Constraints;

/// <summary>
/// A small, independent JSON-schema checker for the keywords the constraint compiler supports, so tests can
/// tell whether constrained output really satisfies its schema. Returns the first violation, or null.
/// </summary>
internal static class SchemaValidator
{
    public static string? Validate(JsonElement value, JsonElement schema) => Validate(value, schema, schema, "$");

    private static string? Validate(JsonElement value, JsonElement schema, JsonElement root, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return null;
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var target = root;
            foreach (var part in reference.GetString()!.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
                target = target.GetProperty(part);
            return Validate(value, target, root, path);
        }
        if (schema.TryGetProperty("const", out var constant))
            return JsonElement.DeepEquals(value, constant) ? null : $"{path}: expected const {constant}";
        if (schema.TryGetProperty("enum", out var values))
            return values.EnumerateArray().Any(v => JsonElement.DeepEquals(v, value)) ? null : $"{path}: {value} not in enum";
        if (schema.TryGetProperty("anyOf", out var anyOf))
            return anyOf.EnumerateArray().Any(a => Validate(value, a, root, path) is null) ? null : $"{path}: matches no anyOf alternative";
        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => HasType(value, t))) return $"{path}: {value.ValueKind} is not {string.Join("|", types)}";
        }
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = schema.TryGetProperty("properties", out var p) ? p : default;
                if (schema.TryGetProperty("required", out var required))
                    foreach (var name in required.EnumerateArray())
                        if (!value.TryGetProperty(name.GetString()!, out _)) return $"{path}: missing required '{name}'";
                foreach (var property in value.EnumerateObject())
                {
                    if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                    {
                        if (Validate(property.Value, propertySchema, root, $"{path}.{property.Name}") is { } error) return error;
                    }
                    else if (properties.ValueKind == JsonValueKind.Object || (schema.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.False))
                    {
                        return $"{path}: unexpected property '{property.Name}'";
                    }
                }
                return null;
            case JsonValueKind.Array:
                int count = value.GetArrayLength();
                if (schema.TryGetProperty("minItems", out var min) && count < min.GetInt32()) return $"{path}: fewer than {min} items";
                if (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32()) return $"{path}: more than {max} items";
                if (schema.TryGetProperty("items", out var items))
                {
                    int i = 0;
                    foreach (var item in value.EnumerateArray())
                        if (Validate(item, items, root, $"{path}[{i++}]") is { } error) return error;
                }
                return null;
            case JsonValueKind.String:
                int length = value.GetString()!.EnumerateRunes().Count();
                if (schema.TryGetProperty("minLength", out var minLength) && length < minLength.GetInt32()) return $"{path}: shorter than {minLength}";
                if (schema.TryGetProperty("maxLength", out var maxLength) && length > maxLength.GetInt32()) return $"{path}: longer than {maxLength}";
                return null;
            default:
                return null;
        }
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };
}
