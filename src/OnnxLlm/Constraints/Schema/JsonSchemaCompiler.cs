using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OnnxLlm.Constraints.Automaton;

namespace OnnxLlm.Constraints.Schema;

/// <summary>
/// Compiles a JSON schema into grammar nodes. Supported: <c>type</c> (one or an array), <c>properties</c>,
/// <c>required</c>, <c>additionalProperties</c>, <c>items</c>, <c>minItems</c>, <c>maxItems</c>, <c>minLength</c>,
/// <c>maxLength</c>, <c>enum</c>, <c>const</c>, <c>anyOf</c>/<c>oneOf</c> (alternatives of different JSON
/// types), <c>nullable</c>, <c>$ref</c> (JSON pointers into the document, recursion included), <c>$defs</c>/<c>definitions</c>;
/// annotations (<c>title</c>, <c>description</c>, <c>default</c>, <c>format</c>, <c>examples</c>...) are ignored, and so
/// are keywords JSON Schema does not define (the specification treats them as annotations; Semantic Kernel, for
/// one, writes a "condition" key). A validation keyword the grammar cannot enforce (<c>pattern</c>, <c>minimum</c>,
/// <c>allOf</c>, ...) throws <see cref="NotSupportedException"/> naming the keyword and its path, rather than
/// silently producing output the schema would reject.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    /// <summary>JSON Schema's validation and applicator keywords (drafts 4 to 2020-12) that the grammar does not enforce.</summary>
    private static readonly HashSet<string> s_unsupportedValidation = new(StringComparer.Ordinal)
    {
        "allOf", "not", "if", "then", "else", "dependentSchemas", "dependencies", "prefixItems", "additionalItems", "contains",
        "minContains", "maxContains", "uniqueItems", "patternProperties", "propertyNames", "minProperties", "maxProperties",
        "dependentRequired", "unevaluatedItems", "unevaluatedProperties", "multipleOf", "maximum", "exclusiveMaximum",
        "minimum", "exclusiveMinimum", "pattern", "$dynamicRef", "$recursiveRef",
    };

    private static readonly JsonWriterOptions s_literalWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly GrammarBuilder _builder;
    private readonly JsonGrammarOptions _options;
    private readonly JsonElement _root;
    private readonly Dictionary<string, int> _refs = new(StringComparer.Ordinal);
    private int _anyValue = -1;

    private JsonSchemaCompiler(GrammarBuilder builder, JsonGrammarOptions options, JsonElement root)
    {
        options.Validate();
        _builder = builder;
        _options = options;
        _root = root;
    }

    public static Grammar Compile(JsonElement schema, JsonGrammarOptions options)
    {
        var builder = new GrammarBuilder();
        return builder.Build(AddSchema(builder, schema, options));
    }

    /// <summary>Adds a schema's nodes to a larger grammar (e.g. one tool's arguments); returns its node id.</summary>
    public static int AddSchema(GrammarBuilder builder, JsonElement schema, JsonGrammarOptions options) =>
        new JsonSchemaCompiler(builder, options, schema).Node(schema, "#");

    public static int AddAnyObject(GrammarBuilder builder, JsonGrammarOptions options)
    {
        var compiler = new JsonSchemaCompiler(builder, options, default);
        return builder.Add(new MapNode(compiler.FreeString(), compiler.AnyValue(), options.MaxWhitespace));
    }

    public static int AddAnyValue(GrammarBuilder builder, JsonGrammarOptions options) =>
        new JsonSchemaCompiler(builder, options, default).AnyValue();

    private int Node(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return AnyValue();
        if (schema.ValueKind == JsonValueKind.False)
            throw new NotSupportedException($"The schema 'false' at '{path}' accepts nothing; it cannot be generated.");
        if (schema.ValueKind != JsonValueKind.Object)
            throw new ArgumentException($"The JSON schema at '{path}' must be an object or a boolean, not {schema.ValueKind}.", nameof(schema));

        foreach (var property in schema.EnumerateObject())
            if (s_unsupportedValidation.Contains(property.Name))
                throw new NotSupportedException($"JSON schema keyword '{property.Name}' at '{path}' is not supported by constrained decoding.");

        int node = NodeIgnoringNullable(schema, path);
        if (schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True)
            node = Union([node, NullNode()], path);
        return node;
    }

    private int NodeIgnoringNullable(JsonElement schema, string path)
    {
        if (schema.TryGetProperty("$ref", out var reference)) return Ref(reference.GetString() ?? "", path);
        if (schema.TryGetProperty("const", out var constant)) return Choice([constant], path);
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                throw new ArgumentException($"'enum' at '{path}' must be a non-empty array.", nameof(schema));
            return Choice(values.EnumerateArray().ToList(), path);
        }
        foreach (string keyword in (ReadOnlySpan<string>)["anyOf", "oneOf"])
        {
            if (!schema.TryGetProperty(keyword, out var alternatives)) continue;
            if (alternatives.ValueKind != JsonValueKind.Array || alternatives.GetArrayLength() == 0)
                throw new ArgumentException($"'{keyword}' at '{path}' must be a non-empty array.", nameof(schema));
            var ids = alternatives.EnumerateArray().Select((a, i) => Node(a, $"{path}/{keyword}/{i}")).ToArray();
            return ids.Length == 1 ? ids[0] : Union(ids, path);
        }
        if (!schema.TryGetProperty("type", out var type))
        {
            if (schema.TryGetProperty("properties", out _)) return Typed(schema, "object", path);
            if (schema.TryGetProperty("items", out _)) return Typed(schema, "array", path);
            return AnyValue();
        }
        if (type.ValueKind == JsonValueKind.String) return Typed(schema, type.GetString()!, path);
        if (type.ValueKind == JsonValueKind.Array && type.GetArrayLength() > 0)
        {
            var ids = type.EnumerateArray().Select(t => Typed(schema, t.GetString() ?? "", path)).ToArray();
            return ids.Length == 1 ? ids[0] : Union(ids, path);
        }
        throw new ArgumentException($"'type' at '{path}' must be a type name or a non-empty array of them.", nameof(schema));
    }

    private int Typed(JsonElement schema, string type, string path) => type switch
    {
        "object" => Object(schema, path),
        "array" => Array(schema, path),
        "string" => _builder.Add(new StringNode(Int(schema, "minLength", path) ?? 0, Int(schema, "maxLength", path) ?? int.MaxValue)),
        "integer" => _builder.Add(new NumberNode(true, _options.MaxIntegerDigits, 0, 0)),
        "number" => _builder.Add(new NumberNode(false, _options.MaxNumberDigits, _options.MaxFractionDigits, _options.MaxExponentDigits)),
        "boolean" => _builder.Add(new ChoiceNode([Bytes("true"), Bytes("false")])),
        "null" => NullNode(),
        _ => throw new ArgumentException($"Unknown JSON schema type '{type}' at '{path}'.", nameof(schema)),
    };

    private int Object(JsonElement schema, string path)
    {
        bool hasAdditional = schema.TryGetProperty("additionalProperties", out var additional);
        bool open = hasAdditional && additional.ValueKind is JsonValueKind.True or JsonValueKind.Object;
        bool hasProperties = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object;
        if (!hasProperties || !properties.EnumerateObject().Any())
        {
            // No declared properties: a free-form map when the schema says nothing or opens it explicitly;
            // an empty object for "properties": {} (closed by default) or additionalProperties false.
            bool closed = (hasProperties && !open) || (hasAdditional && additional.ValueKind == JsonValueKind.False);
            if (closed) return _builder.Add(new ObjectNode([], [], [], _options.MaxWhitespace));
            int value = additional.ValueKind == JsonValueKind.Object ? Node(additional, $"{path}/additionalProperties") : AnyValue();
            return _builder.Add(new MapNode(FreeString(), value, _options.MaxWhitespace));
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var requiredList))
            foreach (var name in requiredList.EnumerateArray())
                required.Add(name.GetString() ?? "");
        var keys = new List<byte[]>();
        var values = new List<int>();
        var isRequired = new List<bool>();
        foreach (var property in properties.EnumerateObject())
        {
            keys.Add(Literal(JsonSerializer.SerializeToElement(property.Name)));
            values.Add(Node(property.Value, $"{path}/properties/{property.Name}"));
            isRequired.Add(required.Remove(property.Name));
        }
        if (required.Count > 0)
            throw new ArgumentException($"'required' at '{path}' names '{required.First()}', which is not in 'properties'.", nameof(schema));
        // Properties not declared are never generated, whatever additionalProperties says: the output stays valid
        // against the schema and its shape stays predictable.
        return _builder.Add(new ObjectNode(keys, values.ToArray(), isRequired.ToArray(), _options.MaxWhitespace));
    }

    private int Array(JsonElement schema, string path)
    {
        int items = schema.TryGetProperty("items", out var itemSchema) ? Node(itemSchema, $"{path}/items") : AnyValue();
        int min = Int(schema, "minItems", path) ?? 0;
        int max = Int(schema, "maxItems", path) ?? int.MaxValue;
        if (max < min) throw new ArgumentException($"maxItems < minItems at '{path}'.", nameof(schema));
        return _builder.Add(new ArrayNode(items, min, max, _options.MaxWhitespace));
    }

    private int Ref(string reference, string path)
    {
        if (_refs.TryGetValue(reference, out int id)) return id;
        if (!reference.StartsWith('#'))
            throw new NotSupportedException($"'$ref' '{reference}' at '{path}' is not a local reference ('#/...'); remote schemas are not supported.");
        var target = Resolve(reference, path);
        // Reserve the id first so a recursive schema refers back to it; the alias forwards to the compiled target.
        id = _builder.Reserve();
        _refs[reference] = id;
        int compiled = Node(target, reference);
        _builder.Fill(id, new UnionNode([compiled]));
        _builder.NameUnionAfterFill(id, reference);
        return id;
    }

    private JsonElement Resolve(string reference, string path)
    {
        var current = _root;
        foreach (string raw in reference[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string part = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(part, out var next)) current = next;
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(part, out int index) && index < current.GetArrayLength()) current = current[index];
            else throw new ArgumentException($"'$ref' '{reference}' at '{path}' does not resolve.", "schema");
        }
        return current;
    }

    private int Choice(IReadOnlyList<JsonElement> values, string path)
    {
        var literals = values.Select(Literal).Distinct(ByteArrayComparer.Instance).ToList();
        return _builder.Add(new ChoiceNode(literals));
    }

    private int Union(int[] alternatives, string path)
    {
        int id = _builder.Add(new UnionNode(alternatives));
        _builder.NameUnion(id, path);
        return id;
    }

    private int NullNode() => _builder.Add(new LiteralNode(Bytes("null")));

    private int FreeString() => _builder.Add(new StringNode(0, int.MaxValue));

    /// <summary>Any JSON value: built once per grammar, recursive through objects and arrays.</summary>
    private int AnyValue()
    {
        if (_anyValue >= 0) return _anyValue;
        _anyValue = _builder.Reserve();
        int[] alternatives =
        [
            _builder.Add(new MapNode(FreeString(), _anyValue, _options.MaxWhitespace)),
            _builder.Add(new ArrayNode(_anyValue, 0, int.MaxValue, _options.MaxWhitespace)),
            FreeString(),
            _builder.Add(new NumberNode(false, _options.MaxNumberDigits, _options.MaxFractionDigits, _options.MaxExponentDigits)),
            _builder.Add(new ChoiceNode([Bytes("true"), Bytes("false"), Bytes("null")])),
        ];
        _builder.Fill(_anyValue, new UnionNode(alternatives));
        _builder.NameUnionAfterFill(_anyValue, "(any JSON value)");
        return _anyValue;
    }

    private static int? Int(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int n) || n < 0)
            throw new ArgumentException($"'{keyword}' at '{path}' must be a non-negative integer.", "schema");
        return n;
    }

    /// <summary>A value's compact JSON, non-ASCII kept as is (the model writes "é", not "\u00e9").</summary>
    private static byte[] Literal(JsonElement value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, s_literalWriter)) value.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
