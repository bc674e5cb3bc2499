using System.Text.Json;
using System.Text.Json.Nodes;
using static OnnxLlm.ModelFolder.JsonFields;

namespace OnnxLlm.ModelFolder.GenAi;

/// <summary>
/// A model folder's <c>genai_config.json</c> in ONNX Runtime GenAI's schema: decoder shapes, I/O names, special token
/// ids and search defaults. OnnxLlm's exporter writes it (<see cref="Save"/>) and OnnxLlm's runtime reads it
/// (<see cref="Load"/>); folders written by GenAI's own model builder load too.
/// </summary>
public sealed record GenAiConfig
{
    /// <summary>Model type (<c>qwen2</c>, <c>qwen3</c>).</summary>
    public required string ModelType { get; init; }

    /// <summary>Longest sequence (prompt + output) the model supports.</summary>
    public required int ContextLength { get; init; }

    /// <summary>Vocabulary size (width of the logits).</summary>
    public required int VocabSize { get; init; }

    /// <summary>The decoder ONNX file, relative to the folder.</summary>
    public string DecoderFileName { get; init; } = ModelFolderFiles.DecoderGraph;

    /// <summary>Number of decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    public required int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Size of one attention head.</summary>
    public required int HeadSize { get; init; }

    /// <summary>Width of the hidden state (files without it: heads × head size).</summary>
    public int HiddenSize { get; init; }

    /// <summary>Beginning-of-sequence token id.</summary>
    public int BosTokenId { get; init; }

    /// <summary>Every id that ends generation.</summary>
    public required IReadOnlyList<int> EosTokenIds { get; init; }

    /// <summary>Padding token id.</summary>
    public int PadTokenId { get; init; }

    /// <summary>Name of the token-id input.</summary>
    public string InputIdsName { get; init; } = DecoderIoNames.InputIds;

    /// <summary>Name of the attention-mask input (static-kv-v1 folders: the additive <see cref="DecoderIoNames.AttentionBias"/>).</summary>
    public string AttentionMaskName { get; init; } = DecoderIoNames.AttentionMask;

    /// <summary>Name of the position-id input when the graph takes one (GenAI builder folders); null when it derives positions itself.</summary>
    public string? PositionIdsName { get; init; }

    /// <summary>Name of the logits output.</summary>
    public string LogitsName { get; init; } = DecoderIoNames.Logits;

    /// <summary>Past-key input name template with <c>%d</c> for the layer.</summary>
    public string PastKeyNames { get; init; } = DecoderIoNames.PastKeyTemplate;

    /// <summary>Past-value input name template.</summary>
    public string PastValueNames { get; init; } = DecoderIoNames.PastValueTemplate;

    /// <summary>Present-key output name template.</summary>
    public string PresentKeyNames { get; init; } = DecoderIoNames.PresentKeyTemplate;

    /// <summary>Present-value output name template.</summary>
    public string PresentValueNames { get; init; } = DecoderIoNames.PresentValueTemplate;

    /// <summary>The <c>search</c> section: GenAI's decoding defaults.</summary>
    public GenAiSearch Search { get; init; } = new();

    /// <summary>Expands a name template for one layer.</summary>
    public static string ForLayer(string template, int layer) => DecoderIoNames.ForLayer(template, layer);

    /// <summary>Reads a <c>genai_config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or lacks a required field (named in the message, with the file).</exception>
    public static GenAiConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
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
                return Read(document.RootElement);
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: {ex.Message}", ex);
            }
        }
    }

    private static GenAiConfig Read(JsonElement root)
    {
        var model = Required(root, "model");
        var decoder = Required(model, "decoder");
        var inputs = decoder.TryGetProperty("inputs", out var i) ? i : default;
        var outputs = decoder.TryGetProperty("outputs", out var o) ? o : default;
        var eos = Required(model, "eos_token_id");
        int heads = Required(decoder, "num_attention_heads").GetInt32();
        // head_size defaults to hidden_size / heads, and every KV shape uses it: a zero or negative count is malformed.
        if (heads <= 0) throw new FormatException($"num_attention_heads must be positive, not {heads}.");
        int? hidden = decoder.TryGetProperty("hidden_size", out var h) ? h.GetInt32() : null;
        int headSize = decoder.TryGetProperty("head_size", out var hs) ? hs.GetInt32()
            : (hidden ?? throw new KeyNotFoundException("required field 'hidden_size' (or 'head_size') is missing.")) / heads;
        return new GenAiConfig
        {
            ModelType = model.TryGetProperty("type", out var type) ? type.GetString() ?? "" : "",
            ContextLength = Required(model, "context_length").GetInt32(),
            VocabSize = Required(model, "vocab_size").GetInt32(),
            DecoderFileName = Required(decoder, "filename").GetString() ?? ModelFolderFiles.DecoderGraph,
            NumHiddenLayers = Required(decoder, "num_hidden_layers").GetInt32(),
            NumAttentionHeads = heads,
            NumKeyValueHeads = decoder.TryGetProperty("num_key_value_heads", out var kv) ? kv.GetInt32() : heads,
            HeadSize = headSize,
            HiddenSize = hidden ?? heads * headSize,
            BosTokenId = model.TryGetProperty("bos_token_id", out var bos) ? bos.GetInt32() : 0,
            EosTokenIds = eos.ValueKind == JsonValueKind.Array ? eos.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [eos.GetInt32()],
            PadTokenId = model.TryGetProperty("pad_token_id", out var pad) ? pad.GetInt32() : 0,
            InputIdsName = Name(inputs, "input_ids", DecoderIoNames.InputIds),
            AttentionMaskName = Name(inputs, "attention_mask", DecoderIoNames.AttentionMask),
            PositionIdsName = inputs.ValueKind == JsonValueKind.Object && inputs.TryGetProperty("position_ids", out var p) ? p.GetString() : null,
            PastKeyNames = Name(inputs, "past_key_names", DecoderIoNames.PastKeyTemplate),
            PastValueNames = Name(inputs, "past_value_names", DecoderIoNames.PastValueTemplate),
            LogitsName = Name(outputs, "logits", DecoderIoNames.Logits),
            PresentKeyNames = Name(outputs, "present_key_names", DecoderIoNames.PresentKeyTemplate),
            PresentValueNames = Name(outputs, "present_value_names", DecoderIoNames.PresentValueTemplate),
            Search = root.TryGetProperty("search", out var search) ? ReadSearch(search) : new GenAiSearch(),
        };
    }

    private static GenAiSearch ReadSearch(JsonElement search)
    {
        var d = new GenAiSearch();
        return new GenAiSearch
        {
            DoSample = search.TryGetProperty("do_sample", out var v) ? v.GetBoolean() : d.DoSample,
            Temperature = search.TryGetProperty("temperature", out v) ? v.GetDouble() : d.Temperature,
            TopK = search.TryGetProperty("top_k", out v) ? v.GetInt32() : d.TopK,
            TopP = search.TryGetProperty("top_p", out v) ? v.GetDouble() : d.TopP,
            RepetitionPenalty = search.TryGetProperty("repetition_penalty", out v) ? v.GetDouble() : d.RepetitionPenalty,
            MaxLength = search.TryGetProperty("max_length", out v) ? v.GetInt32() : d.MaxLength,
            MinLength = search.TryGetProperty("min_length", out v) ? v.GetInt32() : d.MinLength,
            NumBeams = search.TryGetProperty("num_beams", out v) ? v.GetInt32() : d.NumBeams,
            NumReturnSequences = search.TryGetProperty("num_return_sequences", out v) ? v.GetInt32() : d.NumReturnSequences,
            PastPresentShareBuffer = search.TryGetProperty("past_present_share_buffer", out v) ? v.GetBoolean() : d.PastPresentShareBuffer,
            DiversityPenalty = search.TryGetProperty("diversity_penalty", out v) ? v.GetDouble() : d.DiversityPenalty,
            EarlyStopping = search.TryGetProperty("early_stopping", out v) ? v.GetBoolean() : d.EarlyStopping,
            LengthPenalty = search.TryGetProperty("length_penalty", out v) ? v.GetDouble() : d.LengthPenalty,
            NoRepeatNgramSize = search.TryGetProperty("no_repeat_ngram_size", out v) ? v.GetInt32() : d.NoRepeatNgramSize,
        };
    }

    /// <summary>Writes the file (GenAI's schema), to a temporary name first and then moved into place.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var inputs = new JsonObject
        {
            ["input_ids"] = InputIdsName,
            ["attention_mask"] = AttentionMaskName,
        };
        if (PositionIdsName is not null) inputs["position_ids"] = PositionIdsName;
        inputs["past_key_names"] = PastKeyNames;
        inputs["past_value_names"] = PastValueNames;
        var root = new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["bos_token_id"] = BosTokenId,
                ["context_length"] = ContextLength,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxllm", ["provider_options"] = new JsonArray() },
                    ["filename"] = DecoderFileName,
                    ["head_size"] = HeadSize,
                    ["hidden_size"] = HiddenSize,
                    ["inputs"] = inputs,
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = LogitsName,
                        ["present_key_names"] = PresentKeyNames,
                        ["present_value_names"] = PresentValueNames,
                    },
                    ["num_attention_heads"] = NumAttentionHeads,
                    ["num_hidden_layers"] = NumHiddenLayers,
                    ["num_key_value_heads"] = NumKeyValueHeads,
                },
                ["eos_token_id"] = EosTokenIds.Count == 1
                    ? JsonValue.Create(EosTokenIds[0])
                    : new JsonArray(EosTokenIds.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
                ["pad_token_id"] = PadTokenId,
                ["type"] = ModelType,
                ["vocab_size"] = VocabSize,
            },
            ["search"] = new JsonObject
            {
                ["diversity_penalty"] = Search.DiversityPenalty,
                ["do_sample"] = Search.DoSample,
                ["early_stopping"] = Search.EarlyStopping,
                ["length_penalty"] = Search.LengthPenalty,
                ["max_length"] = Search.MaxLength ?? ContextLength,
                ["min_length"] = Search.MinLength,
                ["no_repeat_ngram_size"] = Search.NoRepeatNgramSize,
                ["num_beams"] = Search.NumBeams,
                ["num_return_sequences"] = Search.NumReturnSequences,
                ["past_present_share_buffer"] = Search.PastPresentShareBuffer,
                ["repetition_penalty"] = Search.RepetitionPenalty,
                ["temperature"] = Search.Temperature,
                ["top_k"] = Search.TopK,
                ["top_p"] = Search.TopP,
            },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

}
