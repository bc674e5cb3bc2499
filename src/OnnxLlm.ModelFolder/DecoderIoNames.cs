namespace OnnxLlm.ModelFolder;

/// <summary>Input and output names of exported decoders, as ONNX Runtime GenAI names them (the defaults a config may override).</summary>
public static class DecoderIoNames
{
    /// <summary>Token ids, int64 [batch, sequence].</summary>
    public const string InputIds = "input_ids";

    /// <summary>1 for every token of the whole sequence so far (past + new), int64 [batch, total].</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Position of each new token, int64 [1, sequence] (static-kv-v1 contract: the host supplies it).</summary>
    public const string PositionIds = "position_ids";

    /// <summary>
    /// Additive attention mask, KV dtype [1, 1, sequence, max_length + sequence] (static-kv-v1 contract): 0 where
    /// a query may look, a large negative value where it may not. Columns are the past buffer's slots, then the new rows.
    /// </summary>
    public const string AttentionBias = "attention_bias";

    /// <summary>
    /// Which new row's logits the static-kv-v1 prefill graph computes, int64 [1] (the last real token of a padded
    /// chunk): the vocabulary projection then runs for one row instead of the whole chunk.
    /// </summary>
    public const string LogitsIndex = "logits_index";

    /// <summary>Logits of every new position, float32 [batch, sequence, vocab].</summary>
    public const string Logits = "logits";

    /// <summary>Name template of the past key inputs (one per layer).</summary>
    public const string PastKeyTemplate = "past_key_values.%d.key";

    /// <summary>Name template of the past value inputs (one per layer).</summary>
    public const string PastValueTemplate = "past_key_values.%d.value";

    /// <summary>Name template of the present key outputs (one per layer).</summary>
    public const string PresentKeyTemplate = "present.%d.key";

    /// <summary>Name template of the present value outputs (one per layer).</summary>
    public const string PresentValueTemplate = "present.%d.value";

    /// <summary>The past key input of layer <paramref name="layer"/>.</summary>
    public static string PastKey(int layer) => ForLayer(PastKeyTemplate, layer);

    /// <summary>The past value input of layer <paramref name="layer"/>.</summary>
    public static string PastValue(int layer) => ForLayer(PastValueTemplate, layer);

    /// <summary>The present key output of layer <paramref name="layer"/>.</summary>
    public static string PresentKey(int layer) => ForLayer(PresentKeyTemplate, layer);

    /// <summary>The present value output of layer <paramref name="layer"/>.</summary>
    public static string PresentValue(int layer) => ForLayer(PresentValueTemplate, layer);

    /// <summary>Expands a per-layer name template (GenAI's <c>%d</c> placeholder) for one layer.</summary>
    public static string ForLayer(string template, int layer) =>
        template.Replace("%d", layer.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
}
