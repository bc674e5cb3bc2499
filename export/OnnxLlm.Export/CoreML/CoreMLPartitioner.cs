using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.CoreML;

/// <summary>
/// Groups supported nodes into Core ML partitions the way ORT's CreateSupportedPartitionNodeGroups does: a variant
/// of Kahn's topological sort in "waves"; each wave forms at most one group and stops at the group's border
/// (unsupported nodes that consume the group's outputs), where the next wave starts. Groups made only of trivial
/// ops are then dropped (CoreML EP, ≈1.27).
/// </summary>
internal static class CoreMLPartitioner
{
    public static (List<List<NodeProto>> Partitions, int DroppedTrivial) Partition(IReadOnlyList<NodeProto> nodes, IReadOnlySet<NodeProto> supported)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (var o in nodes[i].Output)
                if (o.Length > 0) producer[o] = i;
        var consumers = new List<int>[nodes.Count];
        var inDegree = new int[nodes.Count];
        for (int i = 0; i < nodes.Count; i++) consumers[i] = [];
        for (int i = 0; i < nodes.Count; i++)
            foreach (var input in nodes[i].Input)
                if (input.Length > 0 && producer.TryGetValue(input, out int p))
                {
                    consumers[p].Add(i);
                    inDegree[i]++;
                }

        // One queue of ready nodes. A supported node joins the current group and puts its consumers on the group's
        // border; an unsupported node on the border waits for the next group (it consumes the group's output);
        // any other unsupported node is processed at once. When nothing is ready, the group closes.
        var toProcess = new Queue<int>();
        var nextGroup = new Queue<int>();
        var border = new HashSet<int>();
        for (int i = 0; i < nodes.Count; i++) if (inDegree[i] == 0) toProcess.Enqueue(i);

        var groups = new List<List<NodeProto>>();
        var group = new List<NodeProto>();
        void Close()
        {
            if (group.Count > 0) groups.Add(group);
            group = [];
            border.Clear();
        }
        while (toProcess.Count > 0 || nextGroup.Count > 0)
        {
            if (toProcess.Count == 0)
            {
                Close();
                (toProcess, nextGroup) = (nextGroup, toProcess);
                continue;
            }
            int i = toProcess.Dequeue();
            bool isSupported = supported.Contains(nodes[i]);
            if (!isSupported && border.Contains(i))
            {
                nextGroup.Enqueue(i);
                continue;
            }
            if (isSupported)
            {
                group.Add(nodes[i]);
                border.Remove(i);
            }
            foreach (var c in consumers[i])
            {
                if (isSupported) border.Add(c);
                if (--inDegree[c] == 0) toProcess.Enqueue(c);
            }
        }
        Close();
        int dropped = groups.RemoveAll(g => g.All(n => CoreMLOpRules.Trivial.Contains(n.OpType)));
        return (groups, dropped);
    }
}
