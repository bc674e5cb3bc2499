using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Qwen2;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// Writes <c>genai_config.json</c> in ONNX Runtime GenAI's schema, so the folder also loads in GenAI-style
/// runtimes. Token ids and sampling defaults come from the checkpoint's generation_config.json.
/// </summary>
internal static class GenAiConfigWriter
{
    /// <param name="path">Where to write.</param>
    /// <param name="config">The checkpoint's architecture.</param>
    /// <param name="generationConfigPath">generation_config.json, if any.</param>
    /// <param name="maxLength">Context length.</param>
    /// <param name="staticKv">
    /// For the coreml target: names the decode-step graph and the static-kv-v1 inputs. GenAI itself cannot run such
    /// a folder (its KV is not a growing cache); OnnxLlm reads onnxllm_contract.json beside it.
    /// </param>
    public static void Write(string path, Qwen2Config config, string? generationConfigPath, int maxLength, bool staticKv = false)
    {
        var generation = ReadGenerationConfig(generationConfigPath);
        var eos = EosIds(generation, config);
        int bos = generation?["bos_token_id"]?.GetValue<int>() ?? config.BosTokenId ?? eos[0];
        int pad = generation?["pad_token_id"]?.GetValue<int>() ?? eos[^1];

        var root = new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["bos_token_id"] = bos,
                ["context_length"] = maxLength,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxllm", ["provider_options"] = new JsonArray() },
                    ["filename"] = staticKv ? CoreMLModelSet.DecodeFileName : "model.onnx",
                    ["head_size"] = config.HeadDim,
                    ["hidden_size"] = config.HiddenSize,
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = DecoderIoNames.InputIds,
                        ["attention_mask"] = staticKv ? DecoderIoNames.AttentionBias : DecoderIoNames.AttentionMask,
                        ["past_key_names"] = DecoderIoNames.PastKeyTemplate,
                        ["past_value_names"] = DecoderIoNames.PastValueTemplate,
                    },
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = DecoderIoNames.Logits,
                        ["present_key_names"] = DecoderIoNames.PresentKeyTemplate,
                        ["present_value_names"] = DecoderIoNames.PresentValueTemplate,
                    },
                    ["num_attention_heads"] = config.NumAttentionHeads,
                    ["num_hidden_layers"] = config.NumHiddenLayers,
                    ["num_key_value_heads"] = config.NumKeyValueHeads,
                },
                ["eos_token_id"] = eos.Length == 1 ? JsonValue.Create(eos[0]) : new JsonArray(eos.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
                ["pad_token_id"] = pad,
                ["type"] = config.ModelType,
                ["vocab_size"] = config.VocabSize,
            },
            ["search"] = new JsonObject
            {
                ["diversity_penalty"] = 0.0,
                ["do_sample"] = generation?["do_sample"]?.GetValue<bool>() ?? false,
                ["early_stopping"] = true,
                ["length_penalty"] = 1.0,
                ["max_length"] = maxLength,
                ["min_length"] = 0,
                ["no_repeat_ngram_size"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                ["past_present_share_buffer"] = !staticKv,
                ["repetition_penalty"] = generation?["repetition_penalty"]?.GetValue<double>() ?? 1.0,
                ["temperature"] = generation?["temperature"]?.GetValue<double>() ?? 1.0,
                ["top_k"] = generation?["top_k"]?.GetValue<int>() ?? 1,
                ["top_p"] = generation?["top_p"]?.GetValue<double>() ?? 1.0,
            },
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static JsonObject? ReadGenerationConfig(string? path)
    {
        if (path is null || !File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: expected a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({ex.Message}).", ex);
        }
    }

    private static int[] EosIds(JsonObject? generation, Qwen2Config config)
    {
        var node = generation?["eos_token_id"];
        return node switch
        {
            JsonArray array when array.Count > 0 => array.Select(n => n!.GetValue<int>()).ToArray(),
            JsonValue value => [value.GetValue<int>()],
            _ => config.EosTokenIds.Count > 0 ? config.EosTokenIds.ToArray() : throw new InvalidDataException(
                "No eos_token_id in generation_config.json or config.json: the model folder would never know where to stop."),
        };
    }
}
