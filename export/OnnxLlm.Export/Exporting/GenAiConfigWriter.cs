using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// Fills <c>genai_config.json</c> (<see cref="GenAiConfig"/>, ONNX Runtime GenAI's schema) from a checkpoint, so the folder also loads in GenAI-style
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

        new GenAiConfig
        {
            ModelType = config.ModelType,
            ContextLength = maxLength,
            VocabSize = config.VocabSize,
            DecoderFileName = staticKv ? ModelFolderFiles.StaticDecodeGraph : ModelFolderFiles.DecoderGraph,
            NumHiddenLayers = config.NumHiddenLayers,
            NumAttentionHeads = config.NumAttentionHeads,
            NumKeyValueHeads = config.NumKeyValueHeads,
            HeadSize = config.HeadDim,
            HiddenSize = config.HiddenSize,
            BosTokenId = bos,
            EosTokenIds = eos,
            PadTokenId = pad,
            AttentionMaskName = staticKv ? DecoderIoNames.AttentionBias : DecoderIoNames.AttentionMask,
            Search = new GenAiSearch
            {
                DoSample = generation?["do_sample"]?.GetValue<bool>() ?? false,
                MaxLength = maxLength,
                PastPresentShareBuffer = !staticKv,
                RepetitionPenalty = generation?["repetition_penalty"]?.GetValue<double>() ?? 1.0,
                Temperature = generation?["temperature"]?.GetValue<double>() ?? 1.0,
                TopK = generation?["top_k"]?.GetValue<int>() ?? 1,
                TopP = generation?["top_p"]?.GetValue<double>() ?? 1.0,
            },
        }.Save(path);
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
