using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Precision;
using OnnxLlm.Inference;
using OnnxLlm.Inference.Slots;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Serving;

/// <summary>
/// The KV slots under the batch scheduler, against a single-sequence <see cref="IDecoderState"/> of the same folder
/// (the peer) and the transformers goldens: a ragged batch decodes each row exactly as it would decode alone, and a
/// prefix copied from a snapshot continues exactly as a fresh prefill. Both graph targets: cpu (one batched run per
/// step) and coreml's static-kv-v1 (one run per slot).
/// </summary>
[TestClass]
public sealed class SequenceSlotsTests
{
    private const float SameNumbers = 1e-5f;

    public static IEnumerable<object[]> Targets => [["cpu"], ["coreml"]];

    private static async Task<DecoderModel> LoadAsync(string target)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        string folder = target == "cpu" ? await TestModels.TinyAsync(ExportPrecision.Fp32) : await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32);
        return DecoderModel.Load(folder, options);
    }

    [TestMethod]
    [DynamicData(nameof(Targets))]
    public async Task RaggedBatch_DecodesEachRowAsItsSoloRun(string target)
    {
        using var model = await LoadAsync(target);
        using var slots = model.CreateSlots(4);
        var cases = Golden.Instance.Cases;
        // Slots 0, 1 and 3 hold the three golden prompts (lengths differ); slot 2 stays empty and rides along as padding.
        int[] used = [0, 1, 3];
        for (int i = 0; i < 3; i++) slots.Prefill(used[i], cases[i].InputIds);
        for (int i = 0; i < 3; i++)
            Assert.IsLessThanOrEqualTo(1e-4, MaxAbsDiff(slots.Logits(used[i]), cases[i].LastLogits), $"prefill of case {i} in slot {used[i]}");

        var solo = cases.Select(c => { var s = model.CreateState(256); s.Prefill(c.InputIds); return s; }).ToArray();
        try
        {
            for (int step = 0; step < 8; step++)
            {
                int[] tokens = cases.Select(c => c.Greedy[step]).ToArray();
                slots.Decode(used, tokens);
                for (int i = 0; i < 3; i++)
                {
                    var expected = solo[i].Decode(tokens[i]);
                    Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(used[i]), expected), $"step {step}, case {i}");
                    Assert.AreEqual(cases[i].Greedy[step + 1], ArgMax(slots.Logits(used[i])), $"step {step}, case {i}: the golden next token");
                }
            }
            Assert.AreEqual(0, slots.Length(2), "a padding row does not grow");

            // Rows leave and join: only slot 3 decodes (slots 0..2 pad), then slot 3 moves into the empty slot 2.
            slots.Decode([3], [cases[2].Greedy[8]]);
            Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(3), solo[2].Decode(cases[2].Greedy[8])));
            slots.Move(3, 2);
            Assert.AreEqual(0, slots.Length(3));
            slots.Decode([0, 2], [cases[0].Greedy[8], cases[2].Greedy[9]]);
            Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(0), solo[0].Decode(cases[0].Greedy[8])), "slot 0 after padding a step");
            Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(2), solo[2].Decode(cases[2].Greedy[9])), "the moved sequence");
        }
        finally
        {
            foreach (var s in solo) s.Dispose();
        }
    }

    [TestMethod]
    [DynamicData(nameof(Targets))]
    public async Task RestoredPrefix_ContinuesAsAFreshPrefill(string target)
    {
        using var model = await LoadAsync(target);
        using var slots = model.CreateSlots(2);
        var golden = Golden.Instance.Cases[2]; // the 40-token prompt
        var prompt = golden.InputIds;
        slots.Prefill(0, prompt);
        var fresh = slots.Logits(0).ToArray();
        Assert.IsLessThanOrEqualTo(1e-4, MaxAbsDiff(fresh, golden.LastLogits));

        foreach (int kept in new[] { 1, 17, prompt.Length - 1 })
        {
            var snapshot = slots.Save(0, prompt[..kept]);
            Assert.AreEqual(kept * slots.BytesPerToken, snapshot.Bytes);
            slots.Prefill(1, [7, 7, 7]); // something stale to overwrite
            slots.Restore(1, snapshot, kept);
            Assert.AreEqual(kept, slots.Length(1));
            slots.Prefill(1, prompt.AsSpan(kept));
            Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(1), fresh), $"prefix of {kept} restored, rest prefilled");
            // ... and it keeps decoding like the original.
            slots.Decode([1], [golden.Greedy[0]]);
            Assert.AreEqual(golden.Greedy[1], ArgMax(slots.Logits(1)));
            slots.Truncate(1, 0);
        }

        // A longer snapshot restored only in part: positions past the kept length are forgotten.
        var whole = slots.Save(0, prompt);
        slots.Restore(1, whole, 10);
        slots.Prefill(1, prompt.AsSpan(10));
        Assert.IsLessThanOrEqualTo(SameNumbers, MaxAbsDiff(slots.Logits(1), fresh));
    }

    internal static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.AreEqual(b.Length, a.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
