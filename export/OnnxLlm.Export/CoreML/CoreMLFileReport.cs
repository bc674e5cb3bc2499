using System.Text;

namespace OnnxLlm.Export.CoreML;

/// <summary>What ONNX Runtime 1.31's CoreML EP would do with one ONNX file, as far as static analysis can tell.</summary>
public sealed record CoreMLFileReport
{
    /// <summary>The file checked.</summary>
    public required string File { get; init; }

    /// <summary>Nodes in the graph (Constant nodes excluded: ORT turns them into initializers at load).</summary>
    public required int NodeCount { get; init; }

    /// <summary>Every rule broken, by node (a node may break several).</summary>
    public required IReadOnlyList<CoreMLRejection> Rejections { get; init; }

    /// <summary>Names of the nodes that would run on the CPU.</summary>
    public IReadOnlySet<string> RejectedNodes => Rejections.Select(r => r.NodeName).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Sizes (in nodes) of the Core ML partitions, grouped as ORT's CreateSupportedPartitions does (greedy topological
    /// waves cut by unsupported nodes), after dropping partitions of trivial ops only. One Core ML model each.
    /// </summary>
    public required IReadOnlyList<int> Partitions { get; init; }

    /// <summary>Partitions of only trivial ops (Cast, Reshape, Transpose, ...) that ORT hands back to the CPU.</summary>
    public required int DroppedTrivialPartitions { get; init; }

    /// <summary>Whether every node would run on Core ML in a single partition.</summary>
    public bool IsFullyCoreML => Rejections.Count == 0 && Partitions.Count == 1;

    /// <summary>A readable multi-line summary.</summary>
    public string Format(int maxListed = 50)
    {
        var text = new StringBuilder();
        var rejected = RejectedNodes;
        text.AppendLine($"{File}: {NodeCount} nodes, {rejected.Count} rejected, {Partitions.Count} CoreML partition(s)" +
                        (Partitions.Count > 0 ? $" [{string.Join(", ", Partitions)} nodes]" : "") +
                        (DroppedTrivialPartitions > 0 ? $", {DroppedTrivialPartitions} trivial-only partition(s) dropped" : ""));
        foreach (var group in Rejections.GroupBy(r => r.Rule).OrderByDescending(g => g.Count()))
            text.AppendLine($"  {group.Key}: {group.Count()}");
        foreach (var r in Rejections.Take(maxListed))
            text.AppendLine($"    {r}");
        if (Rejections.Count > maxListed)
            text.AppendLine($"    ... {Rejections.Count - maxListed} more");
        return text.ToString();
    }
}
