using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Qwen2;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// Writes <c>onnxllm_contract.json</c>, which tells a runtime how to drive a <see cref="ExportTarget.CoreML"/>
/// folder (contract <c>static-kv-v1</c>): which graph to run for one token and for a prompt chunk, the fixed
/// shapes, and the I/O names. OnnxLlm's engine reads it (StaticDecoderState); other runtimes can too.
/// </summary>
internal static class StaticKvContractWriter
{
    public static void Write(string path, int layers, int kvHeads, int headDim, int vocab, int maxLength, int prefillChunk, OnnxDataType kvType)
    {
        var root = new JsonObject
        {
            ["contract"] = StaticKvContractFormat.ContractName,
            ["description"] =
                "Static shapes. Run decode_file for 1 new token and prefill_file for prefill_chunk new tokens (pad the last chunk). " +
                "Inputs: input_ids int64 [1,S]; position_ids int64 [1,S] (pad rows: any valid position); attention_bias kv_dtype " +
                "[1,1,S,max_length+S], 0 = attend, masked_value = hide; columns 0..max_length-1 are the past buffer's slots, " +
                "column max_length+j is new row j; past_key/past_value kv_dtype [1,kv_heads,max_length,head_dim] (the host's buffer). " +
                "Prefill only: logits_index int64 [1], the chunk row whose logits to compute (its last real token). " +
                "Outputs: logits float32 [1,1,vocab] (decode: the token; prefill: row logits_index); present_key/present_value kv_dtype [1,kv_heads,S,head_dim]: only the new rows, " +
                "which the host copies into its buffer at their positions.",
            ["decode_file"] = CoreMLModelSet.DecodeFileName,
            ["prefill_file"] = CoreMLModelSet.PrefillFileName,
            ["data_file"] = CoreMLModelSet.DataFileName,
            ["max_length"] = maxLength,
            ["prefill_chunk"] = prefillChunk,
            ["num_hidden_layers"] = layers,
            ["num_key_value_heads"] = kvHeads,
            ["head_size"] = headDim,
            ["vocab_size"] = vocab,
            ["kv_dtype"] = kvType == OnnxDataType.Float16 ? "float16" : "float32",
            ["masked_value"] = StaticKvContractFormat.MaskedValue,
            ["inputs"] = new JsonObject
            {
                ["input_ids"] = DecoderIoNames.InputIds,
                ["position_ids"] = DecoderIoNames.PositionIds,
                ["attention_bias"] = DecoderIoNames.AttentionBias,
                ["logits_index"] = DecoderIoNames.LogitsIndex,
                ["past_key_names"] = DecoderIoNames.PastKeyTemplate,
                ["past_value_names"] = DecoderIoNames.PastValueTemplate,
            },
            ["outputs"] = new JsonObject
            {
                ["logits"] = DecoderIoNames.Logits,
                ["present_key_names"] = DecoderIoNames.PresentKeyTemplate,
                ["present_value_names"] = DecoderIoNames.PresentValueTemplate,
            },
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
