using System.Text.Json;

namespace OnnxLlm.Benchmarks;

/// <summary>Time per operator type over the decode steps of an ONNX Runtime profile (SessionOptions.EnableProfiling).</summary>
internal sealed record OpTime(string Op, int NodesPerStep, double MsPerStep, double PercentOfRun);

/// <summary>
/// Reads an ONNX Runtime profile (a Chrome-trace JSON array) and sums node kernel times by operator type over a range
/// of its runs (model_run events in time order): e.g. run 0 for the prefill, runs 2… for the steady decode steps.
/// </summary>
internal static class OrtProfile
{
    public static (IReadOnlyList<OpTime> ByOp, IReadOnlyList<OpTime> TopNodes, double RunMsPerStep, double KernelMsPerStep)
        Summarize(string path, int skipRuns, int takeRuns = int.MaxValue)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var runs = new List<(long Start, long End)>();
        var kernels = new List<(long Ts, long Dur, string Name, string Op)>();
        foreach (var e in document.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("name", out var n) || !e.TryGetProperty("ts", out var ts) || !e.TryGetProperty("dur", out var dur)) continue;
            string name = n.GetString() ?? "";
            string cat = e.TryGetProperty("cat", out var c) ? c.GetString() ?? "" : "";
            if (cat == "Session" && name == "model_run")
                runs.Add((ts.GetInt64(), ts.GetInt64() + dur.GetInt64()));
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
                kernels.Add((ts.GetInt64(), dur.GetInt64(), name[..^"_kernel_time".Length], op));
            }
        }
        runs.Sort();
        var decodeRuns = runs.Skip(skipRuns).Take(takeRuns).ToList();
        if (decodeRuns.Count == 0) return ([], [], 0, 0);
        bool InDecode(long t) => decodeRuns.Any(r => t >= r.Start && t <= r.End);
        var decodeKernels = kernels.Where(k => InDecode(k.Ts)).ToList();
        int steps = decodeRuns.Count;
        double runMs = decodeRuns.Sum(r => r.End - r.Start) / 1000.0 / steps;
        double kernelMs = decodeKernels.Sum(k => k.Dur) / 1000.0 / steps;
        var byOp = decodeKernels.GroupBy(k => k.Op)
            .Select(g => new OpTime(g.Key, g.Count() / steps, g.Sum(k => k.Dur) / 1000.0 / steps, 100.0 * g.Sum(k => k.Dur) / 1000.0 / steps / runMs))
            .OrderByDescending(o => o.MsPerStep).ToList();
        var byNode = decodeKernels.GroupBy(k => k.Name)
            .Select(g => new OpTime($"{g.Key} ({g.First().Op})", 1, g.Sum(k => k.Dur) / 1000.0 / steps, 100.0 * g.Sum(k => k.Dur) / 1000.0 / steps / runMs))
            .OrderByDescending(o => o.MsPerStep).Take(8).ToList();
        return (byOp, byNode, runMs, kernelMs);
    }
}
