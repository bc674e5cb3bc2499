using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Onnx;

/// <summary>
/// A small, typed front end over <see cref="GraphProto"/>: nodes with unique names, inline constants,
/// graph inputs and outputs with symbolic dimensions. It knows nothing about transformers.
/// </summary>
internal sealed class GraphBuilder
{
    /// <summary>Domain of ONNX Runtime's contrib operators.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    public GraphBuilder(string name) => Graph.Name = name;

    /// <summary>Adds a node; returns its outputs' names (made unique from <paramref name="outputs"/>).</summary>
    public string[] Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs,
        string? name = null, string domain = "", params Attr[] attributes)
    {
        var node = new NodeProto { OpType = opType, Domain = domain, Name = Unique(name ?? opType) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        foreach (var a in attributes) node.Attribute.Add(a.Proto);
        Graph.Node.Add(node);
        return node.Output.ToArray();
    }

    /// <summary>Adds a single-output node whose output is named after the node.</summary>
    public string Op(string opType, string name, IEnumerable<string> inputs, string domain = "", params Attr[] attributes)
    {
        var unique = Unique(name);
        var node = new NodeProto { OpType = opType, Domain = domain, Name = unique };
        node.Input.AddRange(inputs);
        node.Output.Add(unique + "/output_0");
        foreach (var a in attributes) node.Attribute.Add(a.Proto);
        Graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>Adds an initializer that the caller built (typically one in external data).</summary>
    public string Initializer(TensorProto tensor)
    {
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A small int64 constant stored inline.</summary>
    public string ConstantInt64(string name, params long[] values) => ConstantInt64(name, [values.Length], values);

    /// <summary>A small int64 constant of the given shape, stored inline.</summary>
    public string ConstantInt64(string name, long[] dims, long[] values) =>
        Inline(name, OnnxDataType.Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A scalar int64 constant.</summary>
    public string ScalarInt64(string name, long value) => Inline(name, OnnxDataType.Int64, [], MemoryMarshal.AsBytes(new[] { value }.AsSpan()));

    /// <summary>A small inline tensor of raw little-endian bytes.</summary>
    public string Inline(string name, OnnxDataType type, long[] dims, ReadOnlySpan<byte> data)
    {
        var tensor = new TensorProto { Name = Unique(name), DataType = (int)type, RawData = ByteString.CopyFrom(data) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Declares a graph input; a dimension is a number or a symbolic name.</summary>
    public void Input(string name, OnnxDataType type, params object[] dims) => Graph.Input.Add(ValueInfo(name, type, dims));

    /// <summary>Declares a graph output; a dimension is a number or a symbolic name.</summary>
    public void Output(string name, OnnxDataType type, params object[] dims) => Graph.Output.Add(ValueInfo(name, type, dims));

    private static ValueInfoProto ValueInfo(string name, OnnxDataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int n => new TensorShapeProto.Types.Dimension { DimValue = n },
                long n => new TensorShapeProto.Types.Dimension { DimValue = n },
                _ => throw new ArgumentException($"Dimension must be a number or a name, not {d?.GetType().Name}.", nameof(dims)),
            });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private string Unique(string name)
    {
        ref int count = ref CollectionsMarshal.GetValueRefOrAddDefault(_nameCounts, name, out bool exists);
        count++;
        return exists ? $"{name}_{count - 1}" : name;
    }
}

/// <summary>A node attribute.</summary>
internal readonly record struct Attr(AttributeProto Proto)
{
    public static Attr Int(string name, long value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });
    public static Attr Float(string name, float value) => new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });
    public static Attr String(string name, string value) =>
        new(new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });
    public static Attr Ints(string name, params long[] values)
    {
        var proto = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        proto.Ints.AddRange(values);
        return new(proto);
    }
}
