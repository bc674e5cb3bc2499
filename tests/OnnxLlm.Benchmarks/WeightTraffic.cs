using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// Bytes of weights one decode step must stream from memory, counted from the exported graph's initializers:
/// every weight read by MatMul, Gemm and MatMulNBits (for MatMulNBits the packed codes, scales and zero points),
/// which includes lm_head, plus one row of the embedding table (the Gather reads a single row per token).
/// Norm weights, rotary tables and biases are left out (under 0.1% of the total).
/// </summary>
/// <remarks>
/// On x86 ONNX Runtime has no fp16 MatMul/Gemm kernel: at ORT_ENABLE_ALL it converts fp16 MatMul/Gemm weights
/// to fp32 once at load, so a step reads 4 bytes per such weight, not 2. <see cref="Count"/> counts them that way
/// when <paramref name="fp16WeightsReadAsFp32"/> is set (MatMulNBits scales stay fp16: that kernel takes fp16).
/// </remarks>
internal static class WeightTraffic
{
    public static long Count(string modelDirectory, bool fp16WeightsReadAsFp32)
    {
        string onnx = Directory.GetFiles(modelDirectory, "*.onnx").Single();
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        foreach (var node in model.Graph.Node)
        {
            switch (node.OpType)
            {
                case "MatMul" or "Gemm" or "MatMulNBits":
                    for (int i = 1; i < node.Input.Count; i++)
                    {
                        // A head's slices are initializers of their own (over the table's bytes): each counted once.
                        if (!initializers.TryGetValue(node.Input[i], out var tensor) || !counted.Add(tensor.Name)) continue;
                        bool fp16Float = tensor.DataType == (int)TensorProto.Types.DataType.Float16 && node.OpType != "MatMulNBits";
                        total += Elements(tensor) * (fp16Float && fp16WeightsReadAsFp32 ? 4 : ElementSize(tensor.DataType));
                    }
                    break;
                case "Gather" when initializers.TryGetValue(node.Input[0], out var table) && table.Dims.Count == 2:
                    total += table.Dims[1] * ElementSize(table.DataType);
                    break;
            }
        }
        return total;
    }

    private static long Elements(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);

    internal static int ElementSize(int dataType) => (TensorProto.Types.DataType)dataType switch
    {
        TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 or TensorProto.Types.DataType.Uint32 => 4,
        TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 => 2,
        TensorProto.Types.DataType.Uint8 or TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Bool => 1,
        TensorProto.Types.DataType.Int64 or TensorProto.Types.DataType.Double => 8,
        var other => throw new NotSupportedException($"Initializer element type {other}."),
    };
}
