using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.CoreML;

/// <summary>
/// The per-node support checks of ONNX Runtime 1.31's CoreML EP in MLProgram mode, transcribed from
/// shared/docs/onnxruntime-coreml-and-cpu.md §2 (base_op_builder/helper checks plus each op builder's own).
/// </summary>
internal static class CoreMLOpRules
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Float16 = (int)TensorProto.Types.DataType.Float16;
    private const int Int32 = (int)TensorProto.Types.DataType.Int32;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Bool = (int)TensorProto.Types.DataType.Bool;

    /// <summary>Ops with a CoreML op builder in 1.31 (MLProgram). Expand, Equal, Less, Range, Trilu, ConstantOfShape, Neg, Min, ... are absent.</summary>
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Max", "Pow", "Sqrt", "Exp", "Erf", "Round", "Reciprocal", "Sin", "Cos", "Ceil",
        "Sigmoid", "Tanh", "Relu", "Gelu", "Elu", "Softplus", "LeakyRelu", "PRelu", "HardSigmoid", "Softmax", "Cast", "Gather", "GatherND",
        "Reshape", "Transpose", "Concat", "Slice", "Split", "Unsqueeze", "Squeeze", "Flatten", "Identity", "Tile", "Where", "And", "Shape",
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "LayerNormalization", "ArgMax", "Clip", "Pad", "Conv",
        "ConvTranspose", "AveragePool", "MaxPool", "GlobalAveragePool", "GlobalMaxPool", "Resize", "BatchNormalization",
        "InstanceNormalization", "GroupNormalization", "LRN", "DepthToSpace", "GridSample",
    };

    /// <summary>Ops whose partitions ORT drops back to the CPU when a partition holds nothing else (≈1.27, #28293).</summary>
    public static readonly IReadOnlySet<string> Trivial = new HashSet<string>(StringComparer.Ordinal)
    {
        "Cast", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Flatten", "Identity", "Tile", "Ceil",
    };

    /// <summary>Every rule <paramref name="node"/> breaks (empty: Core ML takes it).</summary>
    public static List<(CoreMLRule Rule, string Detail)> Check(NodeProto node, IReadOnlyDictionary<string, ValueFacts> facts, CoreMLCheckOptions options)
    {
        var found = new List<(CoreMLRule, string)>();
        if (node.Domain is not ("" or "ai.onnx"))
        {
            found.Add((CoreMLRule.NonDefaultDomain, $"domain '{node.Domain}': CoreML has no builder for contrib ops"));
            return found;
        }
        if (!Supported.Contains(node.OpType))
        {
            found.Add((CoreMLRule.UnsupportedOp, $"no CoreML builder for {node.OpType} in ORT 1.31"));
            return found;
        }

        ValueFacts? In(int i) => i < node.Input.Count && node.Input[i].Length > 0 && facts.TryGetValue(node.Input[i], out var f) ? f : null;
        bool Present(int i) => i < node.Input.Count && node.Input[i].Length > 0;
        bool IsConstant(int i) => In(i) is { IsConstant: true };

        for (int i = 0; i < node.Input.Count; i++)
        {
            if (!Present(i)) continue;
            var f = In(i);
            string name = node.Input[i];
            if (f?.Dims is not { } dims) { found.Add((CoreMLRule.UnknownShape, $"input {i} '{name}' has no known rank")); continue; }
            if (dims.Length > 5) found.Add((CoreMLRule.RankAbove5, $"input {i} '{name}' has rank {dims.Length} {ValueFacts.Describe(dims)}"));
            if (dims.Contains(0)) found.Add((CoreMLRule.ZeroDim, $"input {i} '{name}' has a zero dimension {ValueFacts.Describe(dims)}"));
            if (options.RequireStaticShapes && dims.Any(d => d < 0))
                found.Add((CoreMLRule.DynamicDimension, $"input {i} '{name}' is dynamic {ValueFacts.Describe(dims)}"));
        }
        foreach (var output in node.Output)
            if (output.Length > 0 && facts.TryGetValue(output, out var o) && o.Dims is { Length: > 5 } od)
                found.Add((CoreMLRule.RankAbove5, $"output '{output}' has rank {od.Length}"));

        CheckInputType(node, In(0), In(1), In(2), found);

        switch (node.OpType)
        {
            case "Reshape":
                RequireStatic(node, 0, In(0), found);
                RequireConstant(node, 1, IsConstant(1), found);
                break;
            case "Slice":
                RequireStatic(node, 0, In(0), found);
                for (int i = 1; i < Math.Min(node.Input.Count, 5); i++)
                    if (Present(i)) RequireConstant(node, i, IsConstant(i), found);
                break;
            case "Gemm":
                RequireConstant(node, 1, IsConstant(1), found);
                if (ShapeInference.AttrInt(node, "transA", 0) != 0) found.Add((CoreMLRule.UnsupportedAttribute, "transA must be 0"));
                if (ShapeInference.AttrFloat(node, "alpha", 1f) != 1f) found.Add((CoreMLRule.UnsupportedAttribute, "alpha must be 1"));
                if (ShapeInference.AttrFloat(node, "beta", 1f) != 1f) found.Add((CoreMLRule.UnsupportedAttribute, "beta must be 1"));
                if (Present(2))
                {
                    RequireConstant(node, 2, IsConstant(2), found);
                    long n = In(1)?.Dims is [var b0, var b1] ? (ShapeInference.AttrInt(node, "transB", 0) != 0 ? b0 : b1) : -1;
                    if (In(2)?.Dims is { } c && !(c.Length == 0 || c is [1] || (c is [var c0] && c0 == n) || (c is [1, var c1] && c1 == n)))
                        found.Add((CoreMLRule.UnsupportedAttribute, $"C must have shape {{}}, {{1}}, {{N}} or {{1,N}}, not {ValueFacts.Describe(c)}"));
                }
                break;
            case "MatMul":
                if ((In(0)?.Rank == 1) != (In(1)?.Rank == 1))
                    found.Add((CoreMLRule.OneDimensionalMatMul, "exactly one input is 1-D"));
                break;
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "Unsqueeze" or "Squeeze":
                if (Present(1)) RequireConstant(node, 1, IsConstant(1), found);
                break;
            case "Split":
                if (Present(1)) RequireConstant(node, 1, IsConstant(1), found);
                if (In(0)?.Dims is { } sd)
                {
                    long axis = ShapeInference.AttrInt(node, "axis", 0);
                    int a = (int)(axis < 0 ? axis + sd.Length : axis);
                    if (a >= 0 && a < sd.Length && sd[a] < 0)
                        found.Add((CoreMLRule.DynamicShapeInput, $"the split axis {axis} of '{node.Input[0]}' is dynamic"));
                }
                if (node.Output.Count < 2) found.Add((CoreMLRule.UnsupportedAttribute, "Split needs at least 2 outputs"));
                break;
            case "Concat":
                if (node.Input.Count < 2) found.Add((CoreMLRule.UnsupportedAttribute, "Concat needs at least 2 inputs"));
                break;
            case "Gather":
                if (In(1) is { } idx && idx.ElemType is not (Int32 or Int64))
                    found.Add((CoreMLRule.InputDataType, $"indices '{node.Input[1]}' must be int32/int64"));
                break;
        }
        return found;
    }

    private static void CheckInputType(NodeProto node, ValueFacts? x, ValueFacts? y, ValueFacts? z, List<(CoreMLRule, string)> found)
    {
        if (x is null) return;
        int t = x.ElemType;
        switch (node.OpType)
        {
            case "Cast":
                if (t is not (Float or Float16 or Int32 or Int64 or Bool) || ShapeInference.AttrInt(node, "to", 0) is not (Float or Float16 or Int32 or Int64 or Bool))
                    found.Add((CoreMLRule.InputDataType, $"Cast from {TypeName(t)} to {TypeName((int)ShapeInference.AttrInt(node, "to", 0))}: only fp32/fp16/int32/int64/bool"));
                return;
            case "Shape":
                if (t is not (Float or Float16 or Int32 or Int64)) found.Add((CoreMLRule.InputDataType, $"input 0 is {TypeName(t)}"));
                return;
            case "Tile":
                if (t is not (Float or Float16 or Int32 or Int64 or Bool)) found.Add((CoreMLRule.InputDataType, $"input 0 is {TypeName(t)}"));
                return;
            case "Where":
                if (t != Bool || y is null || z is null || y.ElemType != z.ElemType || y.ElemType is not (Float or Float16))
                    found.Add((CoreMLRule.InputDataType, "Where needs a bool condition and X, Y both fp32 or both fp16"));
                return;
            case "And":
                if (t != Bool || y?.ElemType != Bool) found.Add((CoreMLRule.InputDataType, "And needs bool inputs"));
                return;
            case "Pow":
                if (y is not null && y.ElemType != t) found.Add((CoreMLRule.InputDataType, "Pow's inputs must share one dtype"));
                break;
        }
        if (t is not (Float or Float16 or Int64))
            found.Add((CoreMLRule.InputDataType, $"input 0 '{node.Input[0]}' is {TypeName(t)}; CoreML (MLProgram) takes fp32, fp16 or int64"));
    }

    private static void RequireStatic(NodeProto node, int index, ValueFacts? f, List<(CoreMLRule, string)> found)
    {
        if (f?.Dims is { } d && !f.IsStatic)
            found.Add((CoreMLRule.DynamicShapeInput, $"{node.OpType} input {index} '{node.Input[index]}' must have a fully static shape, not {ValueFacts.Describe(d)}"));
    }

    private static void RequireConstant(NodeProto node, int index, bool isConstant, List<(CoreMLRule, string)> found)
    {
        if (!isConstant)
            found.Add((CoreMLRule.NonConstantInput, $"{node.OpType} input {index} '{node.Input[index]}' must be a constant initializer"));
    }

    private static string TypeName(int t) => Enum.IsDefined(typeof(TensorProto.Types.DataType), t) ? ((TensorProto.Types.DataType)t).ToString().ToLowerInvariant() : t.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
