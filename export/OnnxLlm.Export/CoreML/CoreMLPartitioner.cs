using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.CoreML;

/// <summary>
/// Groups supported nodes into Core ML partitions the way ORT's CreateSupportedPartitions does: a topological
/// walk that takes every ready supported node into the current group, closes the group when only unsupported
/// nodes are ready, runs those, and repeats. Groups made only of trivial ops are then dropped.
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

        var ready = new Queue<int>();
        var readyUnsupported = new Queue<int>();
        void Enqueue(int i) => (supported.Contains(nodes[i]) ? ready : readyUnsupported).Enqueue(i);
        void Done(int i)
        {
            foreach (var c in consumers[i])
                if (--inDegree[c] == 0) Enqueue(c);
        }
        for (int i = 0; i < nodes.Count; i++) if (inDegree[i] == 0) Enqueue(i);

        var groups = new List<List<NodeProto>>();
        while (ready.Count > 0 || readyUnsupported.Count > 0)
        {
            var group = new List<NodeProto>();
            while (ready.TryDequeue(out int i))
            {
                group.Add(nodes[i]);
                Done(i);
            }
            if (group.Count > 0) groups.Add(group);
            while (readyUnsupported.TryDequeue(out int i)) Done(i);
        }
        int dropped = groups.RemoveAll(g => g.All(n => CoreMLOpRules.Trivial.Contains(n.OpType)));
        return (groups, dropped);
    }
}
