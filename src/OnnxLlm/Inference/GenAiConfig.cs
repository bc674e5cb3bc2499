using System.Text.Json;
using static OnnxLlm.Inference.JsonFields;

namespace OnnxLlm.Inference;

/// <summary>
/// The parts of a model folder's <c>genai_config.json</c> (ONNX Runtime GenAI's schema) that the engine
/// needs: decoder shapes, I/O names and special token ids. Folders written by OnnxLlm's exporter and by
/// GenAI's model builder both load.
/// </summary>
public sealed record GenAiConfig
{
    /// <summary>Model type ("qwen2").</summary>
    public required string ModelType { get; init; }

    /// <summary>Longest sequence (prompt + output) the model supports.</summary>
    public required int ContextLength { get; init; }

    /// <summary>Vocabulary size (width of the logits).</summary>
    public required int VocabSize { get; init; }

    /// <summary>The ONNX file, relative to the folder.</summary>
    public required string DecoderFileName { get; init; }

    /// <summary>Number of decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Size of one attention head.</summary>
    public required int HeadSize { get; init; }

    /// <summary>Beginning-of-sequence token id.</summary>
    public int BosTokenId { get; init; }

    /// <summary>Every id that ends generation.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    /// <summary>Padding token id.</summary>
    public int PadTokenId { get; init; }

    /// <summary>Name of the token-id input.</summary>
    public string InputIdsName { get; init; } = "input_ids";

    /// <summary>Name of the attention-mask input.</summary>
    public string AttentionMaskName { get; init; } = "attention_mask";

    /// <summary>Name of the logits output.</summary>
    public string LogitsName { get; init; } = "logits";

    /// <summary>Past-key input name template with <c>%d</c> for the layer.</summary>
    public string PastKeyNames { get; init; } = "past_key_values.%d.key";

    /// <summary>Past-value input name template.</summary>
    public string PastValueNames { get; init; } = "past_key_values.%d.value";

    /// <summary>Present-key output name template.</summary>
    public string PresentKeyNames { get; init; } = "present.%d.key";

    /// <summary>Present-value output name template.</summary>
    public string PresentValueNames { get; init; } = "present.%d.value";

    /// <summary>The GenAI "search" section's defaults (temperature, top_k, ...), as stored.</summary>
    public JsonElement? SearchDefaults { get; init; }

    /// <summary>Expands a name template for one layer.</summary>
    public static string ForLayer(string template, int layer) =>
        template.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Reads a <c>genai_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or lacks a required field (named in the message).</exception>
    public static GenAiConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
        using (document)
        {
            try
            {
                var model = Required(document.RootElement, "model");
                var decoder = Required(model, "decoder");
                var inputs = decoder.TryGetProperty("inputs", out var i) ? i : default;
                var outputs = decoder.TryGetProperty("outputs", out var o) ? o : default;
                var eos = Required(model, "eos_token_id");
                int heads = Required(decoder, "num_attention_heads").GetInt32();
                // head_size defaults to hidden_size / heads, and every KV shape uses it: a zero or negative count is malformed.
                if (heads <= 0) throw new FormatException($"num_attention_heads must be positive, not {heads}.");
                return new GenAiConfig
                {
                    ModelType = model.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "",
                    ContextLength = Required(model, "context_length").GetInt32(),
                    VocabSize = Required(model, "vocab_size").GetInt32(),
                    DecoderFileName = Required(decoder, "filename").GetString() ?? "model.onnx",
                    NumHiddenLayers = Required(decoder, "num_hidden_layers").GetInt32(),
                    NumAttentionHeads = heads,
                    NumKeyValueHeads = decoder.TryGetProperty("num_key_value_heads", out var kv) ? kv.GetInt32() : heads,
                    HeadSize = decoder.TryGetProperty("head_size", out var hs) ? hs.GetInt32()
                        : Required(decoder, "hidden_size").GetInt32() / heads,
                    BosTokenId = model.TryGetProperty("bos_token_id", out var bos) ? bos.GetInt32() : 0,
                    EosTokenIds = eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [eos.GetInt32()],
                    PadTokenId = model.TryGetProperty("pad_token_id", out var pad) ? pad.GetInt32() : 0,
                    InputIdsName = Name(inputs, "input_ids", "input_ids"),
                    AttentionMaskName = Name(inputs, "attention_mask", "attention_mask"),
                    PastKeyNames = Name(inputs, "past_key_names", "past_key_values.%d.key"),
                    PastValueNames = Name(inputs, "past_value_names", "past_key_values.%d.value"),
                    LogitsName = Name(outputs, "logits", "logits"),
                    PresentKeyNames = Name(outputs, "present_key_names", "present.%d.key"),
                    PresentValueNames = Name(outputs, "present_value_names", "present.%d.value"),
                    SearchDefaults = document.RootElement.TryGetProperty("search", out var search) ? search.Clone() : null,
                };
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: {ex.Message}", ex);
            }
        }
    }
}
