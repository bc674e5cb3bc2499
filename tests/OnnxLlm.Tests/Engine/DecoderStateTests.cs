using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Precision;
using OnnxLlm.Inference;
using OnnxLlm.Inference.Gqa;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Engine;

/// <summary>The decode loop's state: zero managed allocations per step, capacity limits, reuse after reset.</summary>
[TestClass]
public sealed class DecoderStateTests
{
    private static async Task<DecoderModel> LoadAsync(ExportPrecision precision)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        return DecoderModel.Load(await TestModels.TinyAsync(precision), options);
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp32)]
    [DataRow(ExportPrecision.Fp16)]
    public async Task DecodeSteps_AllocateNoManagedMemory(ExportPrecision precision)
    {
        using var model = await LoadAsync(precision);
        using var state = model.CreateState(256);
        state.Prefill(Golden.Instance.Cases[2].InputIds);
        state.Decode(1); // the first step binds the decode buffers (once per generation)
        // Best of three rounds: a one-off runtime allocation on the thread (tiered JIT under a loaded machine) is not
        // steady state; a per-step allocation would show in every round.
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 32; i++) state.Decode(100 + 32 * round + i);
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.AreEqual(0L, allocated, $"{allocated} managed bytes over 32 decode steps (best of three rounds)");
    }

    [TestMethod]
    public async Task RunTicks_CountTimeInsideRun_WithinTheStepsWallTime()
    {
        using var model = await LoadAsync(ExportPrecision.Fp32);
        using var state = (DecoderState)model.CreateState(128);
        Assert.AreEqual(0L, state.RunTicks);
        state.Prefill(Golden.Instance.Cases[2].InputIds);
        state.Decode(1);
        long ticksBefore = state.RunTicks;
        Assert.IsTrue(ticksBefore > 0, "prefill and the first decode step ran the session");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 8; i++) state.Decode(100 + i);
        long wall = System.Diagnostics.Stopwatch.GetTimestamp() - start;
        long inRun = state.RunTicks - ticksBefore;
        Assert.IsTrue(inRun > 0 && inRun <= wall, $"{inRun} ticks inside Run over {wall} ticks of wall time");
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow(false)]
    [DataRow(true)]
    public async Task SdkSessionOptions_LoadAndDecode(bool? allowSpinning)
    {
        using var options = OnnxLlm.Runtime.SessionOptionsFactory.Create(
            new OnnxLlmOptions { IntraOpThreads = 1, AllowSpinning = allowSpinning }, "unused", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using var model = DecoderModel.Load(await TestModels.TinyAsync(ExportPrecision.Fp32), options);
        using var state = model.CreateState(16);
        state.Prefill([1, 2, 3]);
        Assert.IsTrue(float.IsFinite(state.Decode(4)[0]));
    }

    [TestMethod]
    public async Task Overflow_IsRefusedWithCounts_AndResetReusesTheState()
    {
        using var model = await LoadAsync(ExportPrecision.Fp32);
        using var state = model.CreateState(8);
        state.Prefill([1, 2, 3, 4, 5, 6]);
        state.Decode(7);
        state.Decode(8);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => state.Decode(9));
        StringAssert.Contains(ex.Message, "capacity of 8");
        Assert.AreEqual(8, state.Length);

        var golden = Golden.Instance.Cases[0];
        state.Reset();
        var logits = state.Prefill(golden.InputIds);
        Assert.IsLessThanOrEqualTo(1e-4, MaxAbsDiff(logits, golden.LastLogits), "a reset state must not remember the old sequence");
    }

    [TestMethod]
    public async Task CapacityBeyondTheContext_IsRejected()
    {
        using var model = await LoadAsync(ExportPrecision.Fp32);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.CreateState(model.Config.ContextLength + 1));
    }

    private static double MaxAbsDiff(ReadOnlySpan<float> a, float[] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
