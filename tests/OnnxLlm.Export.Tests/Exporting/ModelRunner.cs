using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Inference;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>Runs an exported folder through OnnxLlm's decoder state, for comparisons with oracles.</summary>
internal static class ModelRunner
{
    public static DecoderModel Load(string folder)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return DecoderModel.Load(folder, options);
    }

    public static float[] PrefillLogits(string folder, IReadOnlyList<int> ids)
    {
        using var model = Load(folder);
        using var state = model.CreateState(ids.Count + 1);
        return state.Prefill(ids.ToArray()).ToArray();
    }

    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, IReadOnlyList<double> b)
    {
        Assert.AreEqual(b.Count, a.Length, "logit vector lengths differ");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.AreEqual(b.Length, a.Length, "logit vector lengths differ");
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
