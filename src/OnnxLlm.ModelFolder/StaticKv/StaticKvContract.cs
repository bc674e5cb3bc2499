using System.Text.Json;
using System.Text.Json.Nodes;
using static OnnxLlm.ModelFolder.JsonFields;

namespace OnnxLlm.ModelFolder.StaticKv;

/// <summary>
/// A model folder's <c>onnxllm_contract.json</c> (contract <c>static-kv-v1</c>, written by <c>onnxllm export
/// --target coreml</c>): two static-shape graphs — a one-token decode step and a fixed-size prefill chunk — whose
/// KV buffer of <see cref="MaxLength"/> slots is a host-managed input, and whose outputs are only the new K/V rows.
/// </summary>
public sealed record StaticKvContract
{
    /// <summary>The file name looked for in a model folder.</summary>
    public const string FileName = ModelFolderFiles.StaticKvContract;

    /// <summary>The contract id this version writes and runs.</summary>
    public const string SupportedContract = "static-kv-v1";

    /// <summary>
    /// What the additive mask puts where a query may not look, unless the file says otherwise. Large enough that
    /// exp() of it after Softmax's max subtraction is exactly 0, yet finite in fp16 even after a score is added:
    /// Core ML may run an fp32 graph in fp16 on the Neural Engine, and −inf arithmetic there is best avoided. Finite
    /// also means no all-masked row becomes NaN.
    /// </summary>
    public const float DefaultMaskedValue = -1e4f;

    /// <summary>What the additive mask puts where a query may not look (the file's <c>masked_value</c>).</summary>
    public float MaskedValue { get; init; } = DefaultMaskedValue;

    /// <summary>The weight file both graphs read.</summary>
    public string DataFile { get; init; } = ModelFolderFiles.WeightData;

    /// <summary>Element type of the KV buffers and the mask: <c>float16</c> or <c>float32</c>.</summary>
    public string KvDType { get; init; } = "float16";

    /// <summary>The decode-step graph (1 new token).</summary>
    public required string DecodeFile { get; init; }

    /// <summary>The prefill graph (<see cref="PrefillChunk"/> new tokens).</summary>
    public required string PrefillFile { get; init; }

    /// <summary>Slots of the KV buffer: the longest sequence.</summary>
    public required int MaxLength { get; init; }

    /// <summary>New tokens per prefill run.</summary>
    public required int PrefillChunk { get; init; }

    /// <summary>Decoder layers.</summary>
    public required int NumHiddenLayers { get; init; }

    /// <summary>Key/value heads.</summary>
    public required int NumKeyValueHeads { get; init; }

    /// <summary>Size of one head.</summary>
    public required int HeadSize { get; init; }

    /// <summary>Width of the logits.</summary>
    public required int VocabSize { get; init; }

    /// <summary>Token-id input (int64 [1, S]).</summary>
    public string InputIdsName { get; init; } = DecoderIoNames.InputIds;

    /// <summary>Position input (int64 [1, S]).</summary>
    public string PositionIdsName { get; init; } = DecoderIoNames.PositionIds;

    /// <summary>Additive mask input (KV dtype [1, 1, S, max_length + S]).</summary>
    public string AttentionBiasName { get; init; } = DecoderIoNames.AttentionBias;

    /// <summary>Prefill only: which chunk row's logits to compute (int64 [1]).</summary>
    public string LogitsIndexName { get; init; } = DecoderIoNames.LogitsIndex;

    /// <summary>Past-key input template (<c>%d</c> = layer).</summary>
    public string PastKeyNames { get; init; } = DecoderIoNames.PastKeyTemplate;

    /// <summary>Past-value input template.</summary>
    public string PastValueNames { get; init; } = DecoderIoNames.PastValueTemplate;

    /// <summary>Logits output (float32 [1, 1, vocab]: the decode token's, or the prefill row named by <see cref="LogitsIndexName"/>).</summary>
    public string LogitsName { get; init; } = DecoderIoNames.Logits;

    /// <summary>New-key output template (KV dtype [1, kv_heads, S, head_size]).</summary>
    public string PresentKeyNames { get; init; } = DecoderIoNames.PresentKeyTemplate;

    /// <summary>New-value output template.</summary>
    public string PresentValueNames { get; init; } = DecoderIoNames.PresentValueTemplate;

    /// <summary>Reads and validates the contract file.</summary>
    /// <exception cref="InvalidDataException">Malformed, or a contract this version does not run (named in the message).</exception>
    public static StaticKvContract Load(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            string contract = Required(root, "contract").GetString() ?? "";
            if (contract != SupportedContract)
                throw new InvalidDataException($"{path}: contract '{contract}' is not supported by this OnnxLlm (it runs '{SupportedContract}').");
            var inputs = root.TryGetProperty("inputs", out var i) ? i : default;
            var outputs = root.TryGetProperty("outputs", out var o) ? o : default;
            var result = new StaticKvContract
            {
                DecodeFile = Required(root, "decode_file").GetString()!,
                PrefillFile = Required(root, "prefill_file").GetString()!,
                MaxLength = Required(root, "max_length").GetInt32(),
                PrefillChunk = Required(root, "prefill_chunk").GetInt32(),
                NumHiddenLayers = Required(root, "num_hidden_layers").GetInt32(),
                NumKeyValueHeads = Required(root, "num_key_value_heads").GetInt32(),
                HeadSize = Required(root, "head_size").GetInt32(),
                VocabSize = Required(root, "vocab_size").GetInt32(),
                DataFile = root.TryGetProperty("data_file", out var data) ? data.GetString() ?? ModelFolderFiles.WeightData : ModelFolderFiles.WeightData,
                KvDType = root.TryGetProperty("kv_dtype", out var kvType) ? kvType.GetString() ?? "float16" : "float16",
                MaskedValue = root.TryGetProperty("masked_value", out var masked) ? masked.GetSingle() : DefaultMaskedValue,
                InputIdsName = Name(inputs, "input_ids", DecoderIoNames.InputIds),
                PositionIdsName = Name(inputs, "position_ids", DecoderIoNames.PositionIds),
                AttentionBiasName = Name(inputs, "attention_bias", DecoderIoNames.AttentionBias),
                LogitsIndexName = Name(inputs, "logits_index", DecoderIoNames.LogitsIndex),
                PastKeyNames = Name(inputs, "past_key_names", DecoderIoNames.PastKeyTemplate),
                PastValueNames = Name(inputs, "past_value_names", DecoderIoNames.PastValueTemplate),
                LogitsName = Name(outputs, "logits", DecoderIoNames.Logits),
                PresentKeyNames = Name(outputs, "present_key_names", DecoderIoNames.PresentKeyTemplate),
                PresentValueNames = Name(outputs, "present_value_names", DecoderIoNames.PresentValueTemplate),
            };
            if (result.MaxLength < 1 || result.PrefillChunk < 2 || result.PrefillChunk > result.MaxLength)
                throw new InvalidDataException($"{path}: max_length {result.MaxLength} / prefill_chunk {result.PrefillChunk} are out of range.");
            return result;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Writes the contract file (to a temporary name first, then moved into place).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var root = new JsonObject
        {
            ["contract"] = SupportedContract,
            ["description"] =
                "Static shapes. Run decode_file for 1 new token and prefill_file for prefill_chunk new tokens (pad the last chunk). " +
                "Inputs: input_ids int64 [1,S]; position_ids int64 [1,S] (pad rows: any valid position); attention_bias kv_dtype " +
                "[1,1,S,max_length+S], 0 = attend, masked_value = hide; columns 0..max_length-1 are the past buffer's slots, " +
                "column max_length+j is new row j; past_key/past_value kv_dtype [1,kv_heads,max_length,head_dim] (the host's buffer). " +
                "Prefill only: logits_index int64 [1], the chunk row whose logits to compute (its last real token). " +
                "Outputs: logits float32 [1,1,vocab] (decode: the token; prefill: row logits_index); present_key/present_value kv_dtype [1,kv_heads,S,head_dim]: only the new rows, " +
                "which the host copies into its buffer at their positions.",
            ["decode_file"] = DecodeFile,
            ["prefill_file"] = PrefillFile,
            ["data_file"] = DataFile,
            ["max_length"] = MaxLength,
            ["prefill_chunk"] = PrefillChunk,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_size"] = HeadSize,
            ["vocab_size"] = VocabSize,
            ["kv_dtype"] = KvDType,
            ["masked_value"] = MaskedValue,
            ["inputs"] = new JsonObject
            {
                ["input_ids"] = InputIdsName,
                ["position_ids"] = PositionIdsName,
                ["attention_bias"] = AttentionBiasName,
                ["logits_index"] = LogitsIndexName,
                ["past_key_names"] = PastKeyNames,
                ["past_value_names"] = PastValueNames,
            },
            ["outputs"] = new JsonObject
            {
                ["logits"] = LogitsName,
                ["present_key_names"] = PresentKeyNames,
                ["present_value_names"] = PresentValueNames,
            },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
