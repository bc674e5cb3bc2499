using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxLlm.Export.Checkpoints;

/// <summary>
/// The architecture settings of a Hugging Face Qwen2 / Qwen2.5 or Qwen3 checkpoint, read from its <c>config.json</c>.
/// Qwen3 is Qwen2 plus a per-head RMSNorm of queries and keys before the rotary embedding (<see cref="HasQkNorm"/>),
/// without q/k/v biases by default (<see cref="HasAttentionBias"/>) and with an explicit <c>head_dim</c>.
/// </summary>
internal sealed record Qwen2Config
{
    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; }

    /// <summary>Width of the MLP's inner layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; }

    /// <summary>Number of decoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; }

    /// <summary>Number of query heads.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; }

    /// <summary>Number of key/value heads (grouped-query attention); equals <see cref="NumAttentionHeads"/> for MHA.</summary>
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeadsRaw { get; init; }

    /// <summary>Explicit head size; Qwen2 configs leave it out and use hidden_size / num_attention_heads.</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimRaw { get; init; }

    /// <summary>Vocabulary size (rows of the embedding table).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; }

    /// <summary>Longest position the model was trained for: the context length.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; }

    /// <summary>Epsilon of every RMSNorm.</summary>
    [JsonPropertyName("rms_norm_eps")] public double RmsNormEps { get; init; } = 1e-6;

    /// <summary>Base of the rotary embedding frequencies.</summary>
    [JsonPropertyName("rope_theta")] public double RopeTheta { get; init; } = 10000.0;

    /// <summary>Whether <c>lm_head</c> shares the embedding table (then the checkpoint has no lm_head.weight).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; }

    /// <summary>Activation of the MLP; Qwen2 uses "silu".</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "silu";

    /// <summary>The <c>model_type</c> of Qwen2 and Qwen2.5 checkpoints.</summary>
    public const string Qwen2ModelType = "qwen2";

    /// <summary>The <c>model_type</c> of Qwen3 checkpoints.</summary>
    public const string Qwen3ModelType = "qwen3";

    /// <summary>Architecture tag: <see cref="Qwen2ModelType"/> or <see cref="Qwen3ModelType"/>.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = Qwen2ModelType;

    /// <summary>
    /// Whether q/k/v projections have biases as config.json states it (Qwen3's <c>attention_bias</c>); null when absent.
    /// </summary>
    [JsonPropertyName("attention_bias")] public bool? AttentionBiasRaw { get; init; }

    /// <summary>
    /// Whether q/k/v projections have biases: Qwen2 always has them (its modeling code ignores the key); Qwen3 follows
    /// <c>attention_bias</c>, which defaults to false.
    /// </summary>
    [JsonIgnore] public bool HasAttentionBias => ModelType == Qwen2ModelType || AttentionBiasRaw == true;

    /// <summary>Whether each layer normalizes every query and key head (RMSNorm over head_dim) before the rotary embedding: Qwen3.</summary>
    [JsonIgnore] public bool HasQkNorm => ModelType == Qwen3ModelType;

    /// <summary>
    /// The attention window config.json names (null in the official Qwen2.5 / Qwen3 configs). It is ignored unless
    /// <see cref="UseSlidingWindow"/> is true, which the exporter rejects: we follow the config's explicit switch as
    /// Qwen3Config documents it, not transformers 4.51's mask, which windows whenever this field is non-null.
    /// </summary>
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; init; }

    /// <summary>Beginning-of-sequence token id, when the config names one.</summary>
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; }

    /// <summary>End-of-sequence token id(s) as config.json states them (a number or an array).</summary>
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenIdRaw { get; init; }

    /// <summary>End-of-sequence token ids from config.json (generation_config.json, when present, takes precedence).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> EosTokenIds => EosTokenIdRaw switch
    {
        { ValueKind: JsonValueKind.Number } v => [v.GetInt32()],
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
        _ => [],
    };

    /// <summary>Whether sliding-window attention is on (not supported by the exporter).</summary>
    [JsonPropertyName("use_sliding_window")] public bool UseSlidingWindow { get; init; }

    /// <summary>RoPE scaling settings (YaRN etc.); not supported by the exporter when present.</summary>
    [JsonPropertyName("rope_scaling")] public JsonElement? RopeScaling { get; init; }

    /// <summary>Dtype the weights were saved in ("bfloat16", "float16", "float32").</summary>
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }

    /// <summary>Number of key/value heads, defaulting to the query head count.</summary>
    [JsonIgnore] public int NumKeyValueHeads => NumKeyValueHeadsRaw ?? NumAttentionHeads;

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadDim => HeadDimRaw ?? HiddenSize / NumAttentionHeads;

    /// <summary>Reads and validates a <c>config.json</c>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The JSON is malformed or describes a model the exporter cannot handle.</exception>
    public static Qwen2Config Load(string configPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        if (!File.Exists(configPath))
            throw new FileNotFoundException($"Model config not found: {configPath}", configPath);
        Qwen2Config? config;
        try
        {
            config = JsonSerializer.Deserialize<Qwen2Config>(File.ReadAllText(configPath));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{configPath}: not valid JSON ({ex.Message}).", ex);
        }
        if (config is null) throw new InvalidDataException($"{configPath}: empty config.");
        config.Validate(configPath);
        return config;
    }

    /// <summary>Checks that the settings describe a Qwen2 or Qwen3 model the exporter supports.</summary>
    /// <param name="source">The file the config came from, named in error messages.</param>
    /// <exception cref="InvalidDataException">A setting is missing, inconsistent or unsupported.</exception>
    public void Validate(string source = "config.json")
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new InvalidDataException($"{source}: {what}");
        }
        Require(ModelType is Qwen2ModelType or Qwen3ModelType,
            $"model_type '{ModelType}' is not supported (expected '{Qwen2ModelType}' or '{Qwen3ModelType}').");
        Require(HiddenSize > 0, "hidden_size must be positive.");
        Require(IntermediateSize > 0, "intermediate_size must be positive.");
        Require(NumHiddenLayers > 0, "num_hidden_layers must be positive.");
        Require(NumAttentionHeads > 0, "num_attention_heads must be positive.");
        Require(NumKeyValueHeads > 0 && NumAttentionHeads % NumKeyValueHeads == 0,
            $"num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads}).");
        Require(HeadDimRaw is not null || HiddenSize % NumAttentionHeads == 0,
            $"hidden_size ({HiddenSize}) must be a multiple of num_attention_heads ({NumAttentionHeads}).");
        Require(HeadDim % 2 == 0, $"head_dim ({HeadDim}) must be even for rotary embeddings.");
        Require(VocabSize > 0, "vocab_size must be positive.");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings must be positive.");
        Require(RopeTheta > 0, "rope_theta must be positive.");
        Require(HiddenAct == "silu", $"hidden_act '{HiddenAct}' is not supported (expected 'silu').");
        Require(!UseSlidingWindow, "use_sliding_window=true is not supported (sliding_window is ignored while it is false).");
        Require(RopeScaling is null || RopeScaling.Value.ValueKind == JsonValueKind.Null,
            "rope_scaling is not supported yet (export without it, or file an issue).");
    }
}
