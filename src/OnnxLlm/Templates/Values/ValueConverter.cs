using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OnnxLlm.Templates;

/// <summary>
/// Converts caller-supplied .NET values into the engine's Python-like value model, once per render, so the
/// evaluator only deals with a closed set of types and mutations by the template never touch caller objects.
/// </summary>
internal static class ValueConverter
{
    private const int MaxDepth = 128;

    /// <summary>Converts one value; throws <see cref="ArgumentException"/> for unsupported .NET types.</summary>
    public static object? FromClr(object? value, string path) => Convert(value, path, 0);

    private static object? Convert(object? value, string path, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"Template variable '{path}' is nested more than {MaxDepth} levels deep.");
        switch (value)
        {
            case null: return null;
            case string s: return s;
            case bool b: return b;
            case char c: return c.ToString();
            case sbyte or byte or short or ushort or int or uint or long: return System.Convert.ToInt64(value, CultureInfo.InvariantCulture);
            case ulong ul:
                if (ul > long.MaxValue) throw new ArgumentException($"Template variable '{path}' is too large for a 64-bit integer.");
                return (long)ul;
            case float f: return (double)f;
            case double d: return d;
            case decimal m: return (double)m;
            case Half h: return (double)h;
            case Enum e: return e.ToString();
            case JsonElement el: return FromJsonElement(el, path, depth);
            case JsonNode node: return FromJsonNode(node, path, depth);
            case IReadOnlyDictionary<string, object?> rod:
            {
                var dict = new PyDict();
                foreach (var kv in rod) dict.Set(kv.Key, Convert(kv.Value, path + "." + kv.Key, depth + 1));
                return dict;
            }

            case IDictionary<string, object?> d2:
            {
                var dict = new PyDict();
                foreach (var kv in d2) dict.Set(kv.Key, Convert(kv.Value, path + "." + kv.Key, depth + 1));
                return dict;
            }

            case IDictionary nd:
            {
                var dict = new PyDict();
                foreach (DictionaryEntry kv in nd)
                {
                    object? key = Convert(kv.Key, path + ".<key>", depth + 1);
                    dict.Set(key, Convert(kv.Value, path + "." + kv.Key, depth + 1));
                }

                return dict;
            }

            case IEnumerable seq:
            {
                var list = new List<object?>();
                int i = 0;
                foreach (object? item in seq) list.Add(Convert(item, $"{path}[{i++}]", depth + 1));
                return list;
            }

            default:
                throw new ArgumentException(
                    $"Template variable '{path}' has unsupported type {value.GetType()}; pass strings, numbers, booleans, " +
                    "JsonElement/JsonNode, dictionaries with string keys, or sequences.");
        }
    }

    private static object? FromJsonElement(JsonElement el, string path, int depth)
    {
        if (depth > MaxDepth) throw new ArgumentException($"Template variable '{path}' is nested more than {MaxDepth} levels deep.");
        switch (el.ValueKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.Undefined:
                return null;
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.String: return el.GetString();
            case JsonValueKind.Number: return JsonNumber(el.GetRawText(), path);
            case JsonValueKind.Array:
            {
                var list = new List<object?>(el.GetArrayLength());
                int i = 0;
                foreach (var item in el.EnumerateArray()) list.Add(FromJsonElement(item, $"{path}[{i++}]", depth + 1));
                return list;
            }

            default:
            {
                var dict = new PyDict();
                foreach (var prop in el.EnumerateObject()) dict.Set(prop.Name, FromJsonElement(prop.Value, path + "." + prop.Name, depth + 1));
                return dict;
            }
        }
    }

    private static object? FromJsonNode(JsonNode node, string path, int depth)
    {
        switch (node)
        {
            case JsonObject obj:
            {
                var dict = new PyDict();
                foreach (var kv in obj) dict.Set(kv.Key, kv.Value is null ? null : FromJsonNode(kv.Value, path + "." + kv.Key, depth + 1));
                return dict;
            }

            case JsonArray arr:
            {
                var list = new List<object?>(arr.Count);
                for (int i = 0; i < arr.Count; i++) list.Add(arr[i] is { } item ? FromJsonNode(item, $"{path}[{i}]", depth + 1) : null);
                return list;
            }

            case JsonValue v:
                if (v.TryGetValue(out JsonElement el)) return FromJsonElement(el, path, depth);
                return Convert(v.GetValue<object>(), path, depth + 1);
            default:
                return null;
        }
    }

    /// <summary>
    /// Like Python's json.loads: a number without fraction or exponent is an int, otherwise a float, so
    /// <c>1</c> and <c>1.0</c> re-serialize differently through <c>tojson</c>, as they do in transformers.
    /// </summary>
    private static object JsonNumber(string raw, string path)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0)
        {
            if (long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
            throw new ArgumentException($"Template variable '{path}' holds the integer {raw}, which does not fit in 64 bits.");
        }

        return double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
