using System.Text.Json;
using OnnxLlm.Export.Exporting;
using static OnnxLlm.Inference.JsonFields;

namespace OnnxLlm.Inference;

/// <summary>
/// A model folder's <c>onnxllm_contract.json</c> (contract <c>static-kv-v1</c>, written by <c>onnxllm export
/// --target coreml</c>): two static-shape graphs — a one-token decode step and a fixed-size prefill chunk — whose
/// KV buffer of <see cref="MaxLength"/> slots is a host-managed input, and whose outputs are only the new K/V rows.
/// </summary>
public sealed record StaticKvContract
{
    /// <summary>The file name looked for in a model folder.</summary>
    public const string FileName = StaticKvContractFormat.FileName;

    /// <summary>The only contract this version runs.</summary>
    public const string SupportedContract = StaticKvContractFormat.ContractName;

    /// <summary>What the additive mask puts where a query may not look (the file's <c>masked_value</c>).</summary>
    public float MaskedValue { get; init; } = StaticKvContractFormat.MaskedValue;

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
    public string InputIdsName { get; init; } = "input_ids";

    /// <summary>Position input (int64 [1, S]).</summary>
    public string PositionIdsName { get; init; } = "position_ids";

    /// <summary>Additive mask input (KV dtype [1, 1, S, max_length + S]).</summary>
    public string AttentionBiasName { get; init; } = "attention_bias";

    /// <summary>Prefill only: which chunk row's logits to compute (int64 [1]).</summary>
    public string LogitsIndexName { get; init; } = "logits_index";

    /// <summary>Past-key input template (<c>%d</c> = layer).</summary>
    public string PastKeyNames { get; init; } = "past_key_values.%d.key";

    /// <summary>Past-value input template.</summary>
    public string PastValueNames { get; init; } = "past_key_values.%d.value";

    /// <summary>Logits output (float32 [1, 1, vocab]: the decode token's, or the prefill row named by <see cref="LogitsIndexName"/>).</summary>
    public string LogitsName { get; init; } = "logits";

    /// <summary>New-key output template (KV dtype [1, kv_heads, S, head_size]).</summary>
    public string PresentKeyNames { get; init; } = "present.%d.key";

    /// <summary>New-value output template.</summary>
    public string PresentValueNames { get; init; } = "present.%d.value";

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
                MaskedValue = root.TryGetProperty("masked_value", out var masked) ? masked.GetSingle() : StaticKvContractFormat.MaskedValue,
                InputIdsName = Name(inputs, "input_ids", "input_ids"),
                PositionIdsName = Name(inputs, "position_ids", "position_ids"),
                AttentionBiasName = Name(inputs, "attention_bias", "attention_bias"),
                LogitsIndexName = Name(inputs, "logits_index", "logits_index"),
                PastKeyNames = Name(inputs, "past_key_names", "past_key_values.%d.key"),
                PastValueNames = Name(inputs, "past_value_names", "past_key_values.%d.value"),
                LogitsName = Name(outputs, "logits", "logits"),
                PresentKeyNames = Name(outputs, "present_key_names", "present.%d.key"),
                PresentValueNames = Name(outputs, "present_value_names", "present.%d.value"),
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
}
