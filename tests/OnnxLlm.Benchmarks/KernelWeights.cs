using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// What a loaded model must hold at least, counted from the exported graph: the initializers as ONNX Runtime's CPU
/// kernels keep them, and the KV cache bytes per token. This is the yardstick of the memory columns (RSS ÷ these
/// bytes), so that a figure above it can be read as overhead.
/// </summary>
/// <remarks>
/// On x86 ORT has no fp16 MatMul/Gemm kernel: at ORT_ENABLE_ALL it inserts a Cast and constant-folds it, so an fp16
/// weight feeding MatMul/Gemm is held as fp32 (4 bytes an element). MatMul/Gemm prepack a constant B into their own
/// layout (MLAS, about the stored size), so an initializer that other nodes read too is held twice: as stored for
/// them, packed (fp32 on x86) for the MatMul/Gemm. An initializer that only the embedding lookup reads (Gather,
/// GatherBlockQuantized) is not counted: it stays mapped from the file and is paged in a row at a time, as tokens are
/// looked up (a tied head reads the same bytes through initializers of its own, which it prepacks). Everything else
/// (MatMulNBits codes, scales and zero points, norms, biases) is held as stored.
/// </remarks>
internal static class KernelWeights
{
    /// <param name="WeightBytes">Every initializer as the kernels hold it.</param>
    /// <param name="LayerBytes">The same for decoder layer 0 alone: "one layer's weights", the allowed load overshoot.</param>
    /// <param name="FileBytes">The .onnx and .onnx.data files.</param>
    /// <param name="KvBytesPerToken">K and V of every layer for one position.</param>
    public readonly record struct Counts(long WeightBytes, long LayerBytes, long FileBytes, long KvBytesPerToken);

    public static Counts Count(string modelDirectory, bool fp16MatMulWeightsWidened)
    {
        string onnx = Directory.GetFiles(modelDirectory, "*.onnx").Single();
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var consumers = new Dictionary<string, (bool MatMul, bool Lookup, bool Other)>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            bool matmul = node.OpType is "MatMul" or "Gemm";
            bool lookup = node.OpType is "Gather" or Export.Quantization.GatherBlockQuantizedNode.OpType;
            foreach (var input in node.Input)
            {
                consumers.TryGetValue(input, out var c);
                consumers[input] = (c.MatMul || matmul, c.Lookup || lookup, c.Other || !(matmul || lookup));
            }
        }
        long total = 0, layer = 0;
        foreach (var tensor in model.Graph.Initializer)
        {
            long stored = Elements(tensor) * WeightTraffic.ElementSize(tensor.DataType);
            bool fp16 = tensor.DataType == (int)TensorProto.Types.DataType.Float16;
            consumers.TryGetValue(tensor.Name, out var c);
            if (c.Lookup && !c.MatMul && !c.Other) continue;
            long held = (fp16 && fp16MatMulWeightsWidened && c.MatMul ? stored * 2 : stored) + (c.MatMul && (c.Other || c.Lookup) ? stored : 0);
            total += held;
            if (tensor.Name.StartsWith("model.layers.0.", StringComparison.Ordinal)) layer += held;
        }
        long file = Directory.GetFiles(modelDirectory).Where(f => f.EndsWith(".onnx", StringComparison.Ordinal) || f.EndsWith(".onnx.data", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);
        // Every past_key_values.* input holds one token's K or V of one layer per position: kv_heads × head_dim elements.
        long kvPerToken = 0;
        foreach (var input in model.Graph.Input)
        {
            if (!input.Name.StartsWith("past_key_values.", StringComparison.Ordinal)) continue;
            var type = input.Type.TensorType;
            var dims = type.Shape.Dim;
            // [batch, kv_heads, sequence, head_dim]
            kvPerToken += dims[1].DimValue * dims[3].DimValue * WeightTraffic.ElementSize(type.ElemType);
        }
        return new Counts(total, layer, file, kvPerToken);
    }

    private static long Elements(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);
}
