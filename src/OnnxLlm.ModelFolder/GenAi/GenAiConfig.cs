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

    /// <summary>
    /// <c>model.decoder.session_options.provider_options</c>: the execution providers GenAI appends, in order (empty:
    /// the CPU, which is what GenAI's builder writes for a cpu build and OnnxLlm's exporter always writes).
    /// </summary>
    public IReadOnlyList<GenAiProviderOptions> ProviderOptions { get; init; } = [];

    /// <summary><c>model.decoder.sliding_window</c>, or null when the file has none.</summary>
    public GenAiSlidingWindow? SlidingWindow { get; init; }

    /// <summary>
    /// Entries of <c>model.decoder.inputs</c> beyond the ones modelled above (input_ids, attention_mask, position_ids,
    /// past_key_names, past_value_names), by key: e.g. <c>inputs_embeds</c>, <c>past_names</c>, or the paged-attention
    /// <c>block_table</c>. GenAI feeds them; OnnxLlm's loop does not.
    /// </summary>
    public IReadOnlyDictionary<string, string> OtherDecoderInputs { get; init; } = new Dictionary<string, string>();

    /// <summary>Entries of <c>model.decoder.outputs</c> beyond logits, present_key_names and present_value_names, by key.</summary>
    public IReadOnlyDictionary<string, string> OtherDecoderOutputs { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Paths of the sections present that describe models or runtimes beyond one text decoder, in file order:
    /// <c>model.decoder.pipeline</c>, <c>model.vision</c>, <c>model.embedding</c>, <c>model.speech</c>,
    /// <c>model.encoder</c>, <c>model.draft</c>, <c>model.mtp</c>, <c>speculative</c>, <c>engine</c>, ...
    /// </summary>
    public IReadOnlyList<string> OtherSections { get; init; } = [];

    /// <summary>
    /// The longest sequence (prompt + output) the folder allows: <see cref="ContextLength"/>, capped by
    /// <c>search.max_length</c> when the file sets one (GenAI stops every generator there; 0 means the context length).
    /// </summary>
    public int MaxSequenceLength => Search.MaxLength is int max and > 0 ? Math.Min(max, ContextLength) : ContextLength;

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

    // Keys of model.decoder.inputs / outputs the typed properties cover; any other key is kept in OtherDecoderInputs/Outputs.
    private static readonly string[] s_modelledInputs = ["input_ids", "attention_mask", "position_ids", "past_key_names", "past_value_names"];
    private static readonly string[] s_modelledOutputs = ["logits", "present_key_names", "present_value_names"];

    // Sections GenAI reads for models beyond one text decoder (multimodal, encoder-decoder, speculative, paged engine).
    private static readonly string[] s_modelSections = ["encoder", "vision", "embedding", "speech", "joiner", "vad", "draft", "mtp"];
    private static readonly string[] s_rootSections = ["speculative", "engine"];

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
        var sections = new List<string>();
        if (decoder.TryGetProperty("pipeline", out _)) sections.Add("model.decoder.pipeline");
        sections.AddRange(model.EnumerateObject().Where(p => s_modelSections.Contains(p.Name)).Select(p => "model." + p.Name));
        sections.AddRange(root.EnumerateObject().Where(p => s_rootSections.Contains(p.Name)).Select(p => p.Name));
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
            ProviderOptions = decoder.TryGetProperty("session_options", out var session) ? ReadProviders(session) : [],
            SlidingWindow = decoder.TryGetProperty("sliding_window", out var window) ? ReadSlidingWindow(window) : null,
            OtherDecoderInputs = Others(inputs, "model.decoder.inputs", s_modelledInputs),
            OtherDecoderOutputs = Others(outputs, "model.decoder.outputs", s_modelledOutputs),
            OtherSections = sections,
        };
    }

    private static Dictionary<string, string> Others(JsonElement section, string path, string[] modelled) =>
        section.ValueKind != JsonValueKind.Object ? []
            : section.EnumerateObject().Where(e => !modelled.Contains(e.Name)).ToDictionary(e => e.Name, e => e.Value.ValueKind == JsonValueKind.String
                ? e.Value.GetString()!
                : throw new FormatException($"'{path}.{e.Name}' must be a string (an input or output name), not {e.Value.ValueKind}."));

    private static GenAiProviderOptions[] ReadProviders(JsonElement session)
    {
        const string path = "model.decoder.session_options.provider_options";
        if (!session.TryGetProperty("provider_options", out var list)) return [];
        if (list.ValueKind != JsonValueKind.Array) throw new FormatException($"'{path}' must be a list of {{\"provider\": {{options}}}} objects.");
        var providers = new List<GenAiProviderOptions>();
        foreach (var entry in list.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object) throw new FormatException($"'{path}' entries must be objects, not {entry.ValueKind}.");
            // GenAI reads each entry as {name: {key: value}}; one entry may name several providers.
            foreach (var provider in entry.EnumerateObject())
            {
                if (provider.Value.ValueKind != JsonValueKind.Object)
                    throw new FormatException($"'{path}' entry '{provider.Name}' must map to an object of options, not {provider.Value.ValueKind}.");
                var options = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var option in provider.Value.EnumerateObject())
                {
                    // device_filtering_options is GenAI's own nested object, not an ONNX Runtime provider option.
                    options[option.Name] = option.Value.ValueKind == JsonValueKind.String ? option.Value.GetString()! : option.Value.GetRawText();
                }
                providers.Add(new GenAiProviderOptions { Name = provider.Name, Options = options });
            }
        }
        return [.. providers];
    }

    private static GenAiSlidingWindow ReadSlidingWindow(JsonElement window)
    {
        var d = new GenAiSlidingWindow();
        return new GenAiSlidingWindow
        {
            WindowSize = window.TryGetProperty("window_size", out var v) ? v.GetInt32() : d.WindowSize,
            SlideKeyValueCache = window.TryGetProperty("slide_key_value_cache", out v) ? v.GetBoolean() : d.SlideKeyValueCache,
            SlideInputs = window.TryGetProperty("slide_inputs", out v) ? v.GetBoolean() : d.SlideInputs,
            Layers = window.TryGetProperty("layers", out v) ? v.EnumerateArray().Select(l => l.GetInt32()).ToArray() : d.Layers,
            CacheSlack = window.TryGetProperty("cache_slack", out v) ? v.GetInt32() : d.CacheSlack,
        };
    }

    private static GenAiSearch ReadSearch(JsonElement search)
    {
        var d = new GenAiSearch();
        return new GenAiSearch
        {
            DoSample = search.TryGetProperty("do_sample", out var v) ? v.GetBoolean() : null,
            Temperature = search.TryGetProperty("temperature", out v) ? v.GetDouble() : null,
            TopK = search.TryGetProperty("top_k", out v) ? v.GetInt32() : null,
            TopP = search.TryGetProperty("top_p", out v) ? v.GetDouble() : null,
            RepetitionPenalty = search.TryGetProperty("repetition_penalty", out v) ? v.GetDouble() : null,
            MaxLength = search.TryGetProperty("max_length", out v) ? v.GetInt32() : d.MaxLength,
            MinLength = search.TryGetProperty("min_length", out v) ? v.GetInt32() : d.MinLength,
            NumBeams = search.TryGetProperty("num_beams", out v) ? v.GetInt32() : d.NumBeams,
            NumReturnSequences = search.TryGetProperty("num_return_sequences", out v) ? v.GetInt32() : d.NumReturnSequences,
            PastPresentShareBuffer = search.TryGetProperty("past_present_share_buffer", out v) ? v.GetBoolean() : null,
            DiversityPenalty = search.TryGetProperty("diversity_penalty", out v) ? v.GetDouble() : d.DiversityPenalty,
            EarlyStopping = search.TryGetProperty("early_stopping", out v) ? v.GetBoolean() : d.EarlyStopping,
            LengthPenalty = search.TryGetProperty("length_penalty", out v) ? v.GetDouble() : d.LengthPenalty,
            NoRepeatNgramSize = search.TryGetProperty("no_repeat_ngram_size", out v) ? v.GetInt32() : d.NoRepeatNgramSize,
            RandomSeed = search.TryGetProperty("random_seed", out v) ? v.GetInt32() : null,
            ChunkSize = search.TryGetProperty("chunk_size", out v) ? v.GetInt32() : null,
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
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxllm", ["provider_options"] = Providers() },
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
                ["do_sample"] = Search.DoSample ?? false,
                ["early_stopping"] = Search.EarlyStopping,
                ["length_penalty"] = Search.LengthPenalty,
                ["max_length"] = Search.MaxLength ?? ContextLength,
                ["min_length"] = Search.MinLength,
                ["no_repeat_ngram_size"] = Search.NoRepeatNgramSize,
                ["num_beams"] = Search.NumBeams,
                ["num_return_sequences"] = Search.NumReturnSequences,
                ["past_present_share_buffer"] = Search.PastPresentShareBuffer ?? false,
                ["repetition_penalty"] = Search.RepetitionPenalty ?? 1.0,
                ["temperature"] = Search.Temperature ?? 1.0,
                ["top_k"] = Search.TopK ?? 50,
                ["top_p"] = Search.TopP ?? 1.0,
            },
        };
        var search = root["search"]!.AsObject();
        if (Search.RandomSeed is int seed) search["random_seed"] = seed;
        if (Search.ChunkSize is int chunk) search["chunk_size"] = chunk;
        if (SlidingWindow is { } window)
        {
            root["model"]!["decoder"]!["sliding_window"] = new JsonObject
            {
                ["window_size"] = window.WindowSize,
                ["slide_key_value_cache"] = window.SlideKeyValueCache,
                ["slide_inputs"] = window.SlideInputs,
                ["layers"] = new JsonArray(window.Layers.Select(l => (JsonNode)JsonValue.Create(l)).ToArray()),
                ["cache_slack"] = window.CacheSlack,
            };
        }
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private JsonArray Providers() => new(ProviderOptions
        .Select(p => (JsonNode)new JsonObject { [p.Name] = new JsonObject(p.Options.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value))) })
        .ToArray());
}
