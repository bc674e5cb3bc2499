using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.CoreML;

/// <summary>
/// Statically predicts what ONNX Runtime 1.31's CoreML execution provider (MLProgram) does with an ONNX graph:
/// which nodes it would reject and why, and how many Core ML partitions the rest would form. The rules are those of
/// shared/docs/onnxruntime-coreml-and-cpu.md, read from the 1.31.1 binary and source; this is a prediction, not a
/// run on a Mac (strict mode, <c>session.disable_cpu_ep_fallback=1</c>, is the proof there).
/// The graph is judged as written: ORT's basic (level-1) rewrites that run before partitioning — constant folding
/// (e.g. Shape of a static tensor), MatMul+Add → Gemm — are not simulated, so a node the checker rejects only for a
/// computed-but-foldable input may still be taken by ORT. Shapes come from the graph's declared inputs, initializers
/// and value_info plus a forward propagation over the ops our exporters emit; an input whose rank it cannot infer is
/// reported as <see cref="CoreMLRule.UnknownShape"/> rather than guessed.
/// </summary>
public static class CoreMLChecker
{
    /// <summary>Checks one ONNX file (external weight data is not read).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an ONNX model.</exception>
    public static CoreMLFileReport CheckFile(string onnxPath, CoreMLCheckOptions? options = null)
    {
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"ONNX file not found: {onnxPath}", onnxPath);
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(onnxPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"{onnxPath}: not an ONNX model ({ex.Message}).", ex);
        }
        if (model.Graph is null) throw new InvalidDataException($"{onnxPath}: the model has no graph.");
        return Check(model, Path.GetFileName(onnxPath), options);
    }

    /// <summary>Checks every <c>*.onnx</c> file of a model folder, in name order.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder holds no .onnx file.</exception>
    public static IReadOnlyList<CoreMLFileReport> CheckFolder(string directory, CoreMLCheckOptions? options = null)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Model folder not found: {directory}");
        var files = Directory.GetFiles(directory, "*.onnx").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new FileNotFoundException($"No .onnx file in {directory}.");
        return files.Select(f => CheckFile(f, options)).ToArray();
    }

    /// <summary>Checks an in-memory model.</summary>
    internal static CoreMLFileReport Check(ModelProto model, string label, CoreMLCheckOptions? options = null)
    {
        options ??= new CoreMLCheckOptions();
        var graph = model.Graph;
        var facts = ShapeInference.Run(graph);
        // ORT folds Constant nodes into initializers when it loads the graph: they are never partitioned.
        var nodes = graph.Node.Where(n => !(n.OpType == "Constant" && n.Domain is "" or "ai.onnx")).ToList();
        var rejections = new List<CoreMLRejection>();
        var supported = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        foreach (var node in nodes)
        {
            var broken = CoreMLOpRules.Check(node, facts, options);
            string op = node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}";
            foreach (var (rule, detail) in broken)
                rejections.Add(new CoreMLRejection(node.Name.Length > 0 ? node.Name : $"<{op} #{nodes.IndexOf(node)}>", op, rule, detail));
            if (broken.Count == 0) supported.Add(node);
        }
        var (partitions, dropped) = CoreMLPartitioner.Partition(nodes, supported);
        return new CoreMLFileReport
        {
            File = label,
            NodeCount = nodes.Count,
            Rejections = rejections,
            Partitions = partitions.Select(p => p.Count).ToArray(),
            DroppedTrivialPartitions = dropped,
        };
    }
}
