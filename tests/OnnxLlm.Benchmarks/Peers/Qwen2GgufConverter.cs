using System.Buffers.Binary;
using System.Text.Json;
using OnnxLlm.Export.Safetensors;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// Converts a Hugging Face Qwen2ForCausalLM checkpoint folder into a GGUF that llama.cpp loads as its "qwen2"
/// architecture, as convert_hf_to_gguf.py's Qwen2Model does: the same metadata keys, tensor names and types
/// (matrices in <paramref name="matrixType"/>, norms and biases F32), no Q/K permutation (qwen2 uses NEOX rope, as
/// transformers does), and output.weight only when the head is not tied to the embedding.
/// </summary>
internal static class Qwen2GgufConverter
{
    /// <summary>Elements converted per chunk: bounds the memory of converting the 136M-element embedding.</summary>
    private const int ChunkElements = 1 << 20;

    public static void Convert(string checkpoint, string outputPath, GgmlType matrixType = GgmlType.F16)
    {
        if (matrixType is not (GgmlType.F16 or GgmlType.F32))
            throw new ArgumentException("Write F16 or F32; the quantized types come from llama.cpp's quantizer.", nameof(matrixType));
        using var configDoc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(checkpoint, "config.json")));
        var config = configDoc.RootElement;
        string modelType = config.GetProperty("model_type").GetString()!;
        if (modelType != "qwen2") throw new NotSupportedException($"{checkpoint}: model_type '{modelType}'; this converter writes qwen2 only.");
        int Int(string key) => config.TryGetProperty(key, out var v) ? v.GetInt32() : throw new InvalidDataException($"{checkpoint}/config.json lacks '{key}'.");
        int vocabSize = Int("vocab_size"), hidden = Int("hidden_size"), layers = Int("num_hidden_layers");
        int heads = Int("num_attention_heads"), kvHeads = config.TryGetProperty("num_key_value_heads", out var kv) ? kv.GetInt32() : heads;
        bool tied = config.TryGetProperty("tie_word_embeddings", out var t) && t.GetBoolean();

        var gguf = new GgufWriter();
        gguf.AddString("general.architecture", "qwen2");
        gguf.AddString("general.name", Path.GetFileName(Path.GetFullPath(checkpoint).TrimEnd('/')));
        gguf.AddUInt32("qwen2.block_count", (uint)layers);
        gguf.AddUInt32("qwen2.context_length", (uint)Int("max_position_embeddings"));
        gguf.AddUInt32("qwen2.embedding_length", (uint)hidden);
        gguf.AddUInt32("qwen2.feed_forward_length", (uint)Int("intermediate_size"));
        gguf.AddUInt32("qwen2.attention.head_count", (uint)heads);
        gguf.AddUInt32("qwen2.attention.head_count_kv", (uint)kvHeads);
        gguf.AddFloat32("qwen2.rope.freq_base", config.TryGetProperty("rope_theta", out var theta) ? theta.GetSingle() : 10000f);
        gguf.AddFloat32("qwen2.attention.layer_norm_rms_epsilon", config.GetProperty("rms_norm_eps").GetSingle());
        // llama_ftype: 0 = ALL_F32, 1 = MOSTLY_F16; quantization_version is what gguf-py always writes (GGML_QUANT_VERSION).
        gguf.AddUInt32("general.file_type", matrixType == GgmlType.F16 ? 1u : 0u);
        gguf.AddUInt32("general.quantization_version", 2);
        GgufVocabulary.Load(checkpoint, vocabSize, config).WriteTo(gguf);

        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        void Add(string hfName, string ggufName, GgmlType type)
        {
            if (!weights.TryGet(hfName, out var info))
                throw new InvalidDataException($"{checkpoint}: tensor '{hfName}' (GGUF '{ggufName}') is missing from the safetensors files.");
            // GGUF lists dimensions innermost first; the row-major bytes are the same, so nothing is transposed.
            long[] dims = info.Shape.Reverse().ToArray();
            gguf.AddTensor(ggufName, dims, type, stream => WriteConverted(weights, info, type, stream));
        }

        Add("model.embed_tokens.weight", "token_embd.weight", matrixType);
        for (int i = 0; i < layers; i++)
        {
            string hf = $"model.layers.{i}.", blk = $"blk.{i}.";
            Add(hf + "input_layernorm.weight", blk + "attn_norm.weight", GgmlType.F32);
            foreach (var (proj, name) in new[] { ("q_proj", "attn_q"), ("k_proj", "attn_k"), ("v_proj", "attn_v") })
            {
                Add(hf + $"self_attn.{proj}.weight", blk + name + ".weight", matrixType);
                Add(hf + $"self_attn.{proj}.bias", blk + name + ".bias", GgmlType.F32);
            }
            Add(hf + "self_attn.o_proj.weight", blk + "attn_output.weight", matrixType);
            Add(hf + "post_attention_layernorm.weight", blk + "ffn_norm.weight", GgmlType.F32);
            Add(hf + "mlp.gate_proj.weight", blk + "ffn_gate.weight", matrixType);
            Add(hf + "mlp.up_proj.weight", blk + "ffn_up.weight", matrixType);
            Add(hf + "mlp.down_proj.weight", blk + "ffn_down.weight", matrixType);
        }
        Add("model.norm.weight", "output_norm.weight", GgmlType.F32);
        // Tied: llama.cpp's qwen2 loader falls back to token_embd.weight when output.weight is absent.
        if (!tied) Add("lm_head.weight", "output.weight", matrixType);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        gguf.Write(outputPath);
    }

    /// <summary>Decodes the tensor (any safetensors float dtype) chunk by chunk and writes it as F32 or F16 little-endian.</summary>
    private static void WriteConverted(SafetensorsCheckpoint weights, SafetensorsTensorInfo info, GgmlType type, Stream stream)
    {
        int sourceSize = info.DType.ElementSize(), targetSize = type == GgmlType.F32 ? 4 : 2;
        var floats = new float[(int)Math.Min(ChunkElements, info.ElementCount)];
        var bytes = new byte[floats.Length * targetSize];
        for (long start = 0; start < info.ElementCount; start += floats.Length)
        {
            int n = (int)Math.Min(floats.Length, info.ElementCount - start);
            var source = weights.GetBytes(info.Name).Slice((int)(start * sourceSize), n * sourceSize);
            SafetensorsConversions.ToFloat32(source, info.DType, floats.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                if (type == GgmlType.F32) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), floats[i]);
                else BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)floats[i]);
            }
            stream.Write(bytes, 0, n * targetSize);
        }
    }
}
