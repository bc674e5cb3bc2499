using System.Runtime.InteropServices;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.CoreML;

/// <summary>
/// A small forward shape propagation, enough for the ops OnnxLlm's exporters emit (standard and the contrib ops of
/// the cpu target), so the checker knows each node's input ranks, static dimensions and constants. Values it
/// cannot infer stay unknown, and the checker reports them as such rather than guessing.
/// </summary>
internal static class ShapeInference
{
    private const int Float = (int)TensorProto.Types.DataType.Float;
    private const int Int64 = (int)TensorProto.Types.DataType.Int64;
    private const int Bool = (int)TensorProto.Types.DataType.Bool;

    /// <summary>Facts for every graph input, initializer and node output of <paramref name="graph"/> (in node order).</summary>
    public static Dictionary<string, ValueFacts> Run(GraphProto graph)
    {
        var facts = new Dictionary<string, ValueFacts>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
            facts[init.Name] = new ValueFacts(init.DataType, init.Dims.ToArray(), IsConstant: true, Int64Values: SmallInt64(init));
        foreach (var input in graph.Input)
            if (!facts.ContainsKey(input.Name)) facts[input.Name] = FromValueInfo(input);
        foreach (var info in graph.ValueInfo)
            facts.TryAdd(info.Name, FromValueInfo(info));
        foreach (var node in graph.Node)
        {
            ValueFacts?[] outputs;
            try { outputs = Infer(node, facts); }
            catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidOperationException) { outputs = []; }
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length == 0 || facts.ContainsKey(node.Output[i])) continue;
                if (i < outputs.Length && outputs[i] is { } f) facts[node.Output[i]] = f;
            }
        }
        return facts;
    }

    private static ValueFacts FromValueInfo(ValueInfoProto info)
    {
        var tensor = info.Type?.TensorType;
        if (tensor is null) return new ValueFacts(0, null);
        long[]? dims = tensor.Shape is null ? null : tensor.Shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : ValueFacts.Dynamic).ToArray();
        return new ValueFacts(tensor.ElemType, dims);
    }

    private static long[]? SmallInt64(TensorProto t)
    {
        if (t.DataType != Int64 || t.DataLocation == TensorProto.Types.DataLocation.External) return null;
        if (t.Int64Data.Count > 0) return t.Int64Data.Count <= 64 ? t.Int64Data.ToArray() : null;
        if (t.RawData.Length > 64 * 8 || t.RawData.Length % 8 != 0) return null;
        return MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
    }

    private static ValueFacts?[] Infer(NodeProto node, Dictionary<string, ValueFacts> facts)
    {
        ValueFacts? In(int i) => i < node.Input.Count && node.Input[i].Length > 0 && facts.TryGetValue(node.Input[i], out var f) ? f : null;
        var x = In(0);
        ValueFacts? Same(ValueFacts? v) => v is null ? null : v with { IsConstant = false, Int64Values = null };

        // ORT registers SimplifiedLayerNormalization in the default domain (the cpu graph uses it there).
        if (node.Domain is "com.microsoft" || node.OpType == "SimplifiedLayerNormalization")
        {
            return node.OpType switch
            {
                "SimplifiedLayerNormalization" or "SkipSimplifiedLayerNormalization" => [Same(x), null, null, Same(x)],
                "GroupQueryAttention" when In(3) is { Dims: { Length: 4 } pd } past =>
                    [Same(x), new ValueFacts(past.ElemType, [pd[0], pd[1], ValueFacts.Dynamic, pd[3]]), new ValueFacts(past.ElemType, [pd[0], pd[1], ValueFacts.Dynamic, pd[3]])],
                "MatMulNBits" when x?.Dims is { } d => [new ValueFacts(x.ElemType, [.. d[..^1], AttrInt(node, "N", ValueFacts.Dynamic)])],
                _ => [],
            };
        }
        if (node.Domain is not ("" or "ai.onnx")) return [];

        switch (node.OpType)
        {
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Max" or "Min" or "PRelu":
                return [Broadcast(x, In(1), x?.ElemType)];
            case "Equal" or "Less" or "Greater" or "And" or "Or":
                return [Broadcast(x, In(1), Bool)];
            case "Where":
                return [Broadcast(Broadcast(x, In(1), In(1)?.ElemType), In(2), In(1)?.ElemType)];
            case "Sqrt" or "Exp" or "Erf" or "Round" or "Reciprocal" or "Sin" or "Cos" or "Ceil" or "Sigmoid" or "Tanh" or "Relu"
                or "Gelu" or "Elu" or "Softplus" or "LeakyRelu" or "HardSigmoid" or "Softmax" or "Identity" or "Neg" or "Not" or "Clip"
                or "LayerNormalization" or "CumSum":
                return [Same(x)];
            case "Cast":
                return [x is null ? null : new ValueFacts((int)AttrInt(node, "to", 0), x.Dims)];
            case "Shape":
                return [x?.Dims is { } sd ? new ValueFacts(Int64, [ShapeLength(node, sd.Length)]) : null];
            case "Gather":
            {
                var idx = In(1);
                if (x?.Dims is not { } d || idx?.Dims is not { } id) return [];
                int axis = Axis(AttrInt(node, "axis", 0), d.Length);
                return [new ValueFacts(x.ElemType, [.. d[..axis], .. id, .. d[(axis + 1)..]])];
            }
            case "Reshape":
                return [Reshape(node, x, In(1))];
            case "Transpose":
            {
                if (x?.Dims is not { } d) return [];
                var perm = AttrInts(node, "perm") ?? Enumerable.Range(0, d.Length).Reverse().Select(i => (long)i).ToArray();
                return [new ValueFacts(x.ElemType, perm.Select(p => d[p]).ToArray())];
            }
            case "MatMul":
                return [MatMul(x, In(1))];
            case "Gemm":
            {
                if (x?.Dims is not [var a0, var a1] || In(1)?.Dims is not [var b0, var b1]) return [];
                long m = AttrInt(node, "transA", 0) != 0 ? a1 : a0;
                long n = AttrInt(node, "transB", 0) != 0 ? b0 : b1;
                return [new ValueFacts(x.ElemType, [m, n])];
            }
            case "Concat":
            {
                var inputs = Enumerable.Range(0, node.Input.Count).Select(In).ToArray();
                if (inputs.Any(i => i?.Dims is null)) return [];
                var first = inputs[0]!.Dims!;
                int axis = Axis(AttrInt(node, "axis", 0), first.Length);
                var dims = (long[])first.Clone();
                dims[axis] = inputs.Any(i => i!.Dims![axis] < 0) ? ValueFacts.Dynamic : inputs.Sum(i => i!.Dims![axis]);
                return [new ValueFacts(inputs[0]!.ElemType, dims)];
            }
            case "Split":
            {
                if (x?.Dims is not { } d) return [];
                int axis = Axis(AttrInt(node, "axis", 0), d.Length);
                long[]? sizes = In(1)?.Int64Values ?? AttrInts(node, "split");
                if (sizes is null && d[axis] >= 0) sizes = Enumerable.Repeat(d[axis] / node.Output.Count, node.Output.Count).ToArray();
                return Enumerable.Range(0, node.Output.Count).Select(i =>
                {
                    var o = (long[])d.Clone();
                    o[axis] = sizes is null ? ValueFacts.Dynamic : sizes[i];
                    return (ValueFacts?)new ValueFacts(x.ElemType, o);
                }).ToArray();
            }
            case "Slice":
            {
                if (x?.Dims is not { } d) return [];
                long[]? starts = In(1)?.Int64Values, ends = In(2)?.Int64Values;
                long[] axes = In(3)?.Int64Values ?? Enumerable.Range(0, starts?.Length ?? 0).Select(i => (long)i).ToArray();
                long[]? steps = In(4)?.Int64Values;
                var dims = (long[])d.Clone();
                if (starts is null || ends is null) return [new ValueFacts(x.ElemType, d.Select(_ => ValueFacts.Dynamic).ToArray())];
                for (int i = 0; i < axes.Length; i++)
                {
                    int axis = Axis(axes[i], d.Length);
                    long step = steps?[i] ?? 1;
                    dims[axis] = d[axis] < 0 || step != 1 ? ValueFacts.Dynamic : SliceLength(d[axis], starts[i], ends[i]);
                }
                return [new ValueFacts(x.ElemType, dims)];
            }
            case "Tile":
            {
                if (x?.Dims is not { } d) return [];
                var reps = In(1)?.Int64Values;
                return [new ValueFacts(x.ElemType, d.Select((v, i) => reps is null || v < 0 ? ValueFacts.Dynamic : v * reps[i]).ToArray())];
            }
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd":
            {
                if (x?.Dims is not { } d) return [];
                var axes = node.Input.Count > 1 && node.Input[1].Length > 0 ? In(1)?.Int64Values : AttrInts(node, "axes") ?? Enumerable.Range(0, d.Length).Select(i => (long)i).ToArray();
                bool keep = AttrInt(node, "keepdims", 1) != 0;
                if (axes is null) return [keep ? new ValueFacts(x.ElemType, d.Select(_ => ValueFacts.Dynamic).ToArray()) : null];
                var set = axes.Select(a => Axis(a, d.Length)).ToHashSet();
                var dims = keep ? d.Select((v, i) => set.Contains(i) ? 1 : v).ToArray() : d.Where((_, i) => !set.Contains(i)).ToArray();
                return [new ValueFacts(x.ElemType, dims)];
            }
            case "Unsqueeze":
            {
                if (x?.Dims is not { } d || In(1)?.Int64Values is not { } axes) return [];
                int rank = d.Length + axes.Length;
                var set = axes.Select(a => Axis(a, rank)).ToHashSet();
                var dims = new long[rank];
                for (int i = 0, j = 0; i < rank; i++) dims[i] = set.Contains(i) ? 1 : d[j++];
                return [new ValueFacts(x.ElemType, dims)];
            }
            case "Squeeze":
            {
                if (x?.Dims is not { } d) return [];
                var axes = In(1)?.Int64Values;
                var set = axes?.Select(a => Axis(a, d.Length)).ToHashSet();
                return [new ValueFacts(x.ElemType, d.Where((v, i) => set is null ? v != 1 : !set.Contains(i)).ToArray())];
            }
            case "Expand":
            {
                var shape = In(1);
                if (x is null) return [];
                if (shape?.Int64Values is { } target) return [Broadcast(x, new ValueFacts(x.ElemType, target), x.ElemType)];
                return [shape?.Dims is [var n] && n >= 0 ? new ValueFacts(x.ElemType, Enumerable.Repeat(ValueFacts.Dynamic, (int)n).ToArray()) : null];
            }
            case "Constant":
            {
                var value = node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
                return [value is null ? null : new ValueFacts(value.DataType, value.Dims.ToArray(), IsConstant: true, Int64Values: SmallInt64(value))];
            }
            default:
                return [];
        }
    }

    /// <summary>Elements a step-1 Slice keeps of a dimension of <paramref name="length"/> (ONNX clamping rules).</summary>
    private static long SliceLength(long length, long start, long end)
    {
        start = Math.Clamp(start < 0 ? start + length : start, 0, length);
        end = Math.Clamp(end < 0 ? end + length : end, 0, length);
        return Math.Max(0, end - start);
    }

    private static long ShapeLength(NodeProto node, int rank)
    {
        int start = Axis(AttrInt(node, "start", 0), rank + 1);
        int end = node.Attribute.Any(a => a.Name == "end") ? Axis(AttrInt(node, "end", rank), rank + 1) : rank;
        return Math.Clamp(end, 0, rank) - Math.Clamp(start, 0, rank);
    }

    private static ValueFacts? Reshape(NodeProto node, ValueFacts? x, ValueFacts? shape)
    {
        if (x is null || shape is null) return null;
        if (shape.Int64Values is not { } target)
            return shape.Dims is [var n] && n >= 0 ? new ValueFacts(x.ElemType, Enumerable.Repeat(ValueFacts.Dynamic, (int)n).ToArray()) : null;
        bool allowZero = AttrInt(node, "allowzero", 0) != 0;
        var dims = new long[target.Length];
        int inferred = -1;
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero) dims[i] = x.Dims is { } d && i < d.Length ? d[i] : ValueFacts.Dynamic;
            else if (target[i] == -1) { inferred = i; dims[i] = ValueFacts.Dynamic; }
            else dims[i] = target[i];
        }
        if (inferred >= 0 && x.IsStatic && dims.Where((_, i) => i != inferred).All(v => v > 0))
        {
            long total = x.Dims!.Aggregate(1L, (a, b) => a * b);
            long known = dims.Where((_, i) => i != inferred).Aggregate(1L, (a, b) => a * b);
            dims[inferred] = total / known;
        }
        return new ValueFacts(x.ElemType, dims);
    }

    private static ValueFacts? MatMul(ValueFacts? a, ValueFacts? b)
    {
        if (a?.Dims is not { } ad || b?.Dims is not { } bd || ad.Length == 0 || bd.Length == 0) return null;
        if (ad.Length == 1 && bd.Length == 1) return new ValueFacts(a.ElemType, []);
        long[] left = ad.Length == 1 ? [1, ad[0]] : ad;
        long[] right = bd.Length == 1 ? [bd[0], 1] : bd;
        var batch = BroadcastDims(left[..^2], right[..^2]);
        if (batch is null) return null;
        var dims = new List<long>(batch);
        if (ad.Length > 1) dims.Add(left[^2]);
        if (bd.Length > 1) dims.Add(right[^1]);
        return new ValueFacts(a.ElemType, dims.ToArray());
    }

    private static ValueFacts? Broadcast(ValueFacts? a, ValueFacts? b, int? elemType)
    {
        if (a?.Dims is not { } ad || b?.Dims is not { } bd || elemType is not int t) return null;
        var dims = BroadcastDims(ad, bd);
        return dims is null ? null : new ValueFacts(t, dims);
    }

    private static long[]? BroadcastDims(long[] a, long[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            long x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            long y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            dims[i] = x == 1 ? y : y == 1 ? x : x == y ? x : x < 0 || y < 0 ? ValueFacts.Dynamic : throw new ArgumentException("incompatible broadcast");
        }
        return dims;
    }

    private static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

    internal static long AttrInt(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    internal static float AttrFloat(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.F : fallback;

    internal static long[]? AttrInts(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.Ints.ToArray() : null;
}
