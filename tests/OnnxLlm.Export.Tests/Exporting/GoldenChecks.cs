using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// Checks of an exported folder against transformers' goldens that hold for every export target (the cpu graph and
/// the coreml graphs run through their own decoder states).
/// </summary>
internal static class GoldenChecks
{
    /// <summary>Prefill of the golden prompt; returns max |logit − golden| of the last position after asserting it is within <paramref name="tolerance"/>.</summary>
    public static double AssertLastLogitsWithin(string folder, GoldenCase golden, double tolerance, string label)
    {
        var logits = ModelRunner.PrefillLogits(folder, golden.InputIds);
        double diff = ModelRunner.MaxAbsDiff(logits, golden.LastLogits);
        Console.WriteLine($"{golden.Name}: {label} max |logit − golden| = {diff:0.0e0}");
        Assert.IsLessThanOrEqualTo(tolerance, diff, $"{golden.Name}: {label} max |logit − golden| = {diff}");
        return diff;
    }

    /// <summary>Feeds the prompt one token at a time through the KV cache: every position's golden top-10 logits and argmax.</summary>
    public static void AssertEveryPositionTop10(string folder, GoldenCase golden, double tolerance)
    {
        using var model = ModelRunner.Load(folder);
        using var state = model.CreateState(golden.InputIds.Length);
        for (int position = 0; position < golden.InputIds.Length; position++)
        {
            var logits = state.Decode(golden.InputIds[position]);
            var (ids, values) = golden.PerPosition[position];
            for (int k = 0; k < ids.Length; k++)
                Assert.AreEqual(values[k], logits[ids[k]], tolerance, $"{golden.Name}: position {position}, golden top-{k + 1} id {ids[k]}");
            Assert.AreEqual(ids[0], ModelRunner.ArgMax(logits), $"{golden.Name}: argmax at position {position}");
        }
    }

    /// <summary>Greedy continuation of the prompt: the golden tokens, and each step's golden top-10 logits.</summary>
    public static void AssertGreedyTokensAndStepLogits(string folder, GoldenCase golden, double tolerance)
    {
        using var model = ModelRunner.Load(folder);
        using var state = model.CreateState(golden.InputIds.Length + golden.Greedy.Length);
        var logits = state.Prefill(golden.InputIds);
        for (int step = 0; step < golden.Greedy.Length; step++)
        {
            var (ids, values) = golden.GreedySteps[step].Top10;
            for (int k = 0; k < ids.Length; k++)
                Assert.AreEqual(values[k], logits[ids[k]], tolerance, $"{golden.Name}: greedy step {step}, top-{k + 1}");
            int token = ModelRunner.ArgMax(logits);
            Assert.AreEqual(golden.Greedy[step], token, $"{golden.Name}: greedy token {step}");
            logits = state.Decode(token);
        }
    }
}
