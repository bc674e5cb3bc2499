using OnnxLlm.Generation;
using OnnxLlm.Testing;
using static OnnxLlm.Tests.Serving.EngineHarness;

namespace OnnxLlm.Tests.Serving;

/// <summary>The queue in front of the sequence slots: bounded, refusing at once when full, and cancellable while waiting.</summary>
[TestClass]
public sealed class QueueTests
{
    [TestMethod]
    public async Task FullQueue_RefusesAtOnce_AndACancelledWaiterLeavesTheQueue()
    {
        using var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 1, MaxQueuedRequests = 1, PrefixCacheBytes = 0 });
        var engine = harness.Engine;
        var prompt = Golden.Instance.Cases[1].InputIds;
        using var stopLong = new CancellationTokenSource();
        var firstToken = new TaskCompletionSource();
        // A long generation holds the only slot (its reader pauses after the first token until cancelled).
        var running = RunAsync(engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 4000, Sampling = Greedy }, stopLong.Token,
            async n => { if (n == 1) { firstToken.SetResult(); await Task.Delay(Timeout.Infinite, stopLong.Token); } });
        await firstToken.Task;

        using var stopWaiting = new CancellationTokenSource();
        var waiting = RunAsync(engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 4, Sampling = Greedy }, stopWaiting.Token);
        var refused = await Assert.ThrowsExactlyAsync<GenerationQueueFullException>(() =>
            RunAsync(engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 4, Sampling = Greedy }));
        Assert.AreEqual(1, refused.Running);
        Assert.AreEqual(1, refused.Queued);
        Assert.IsGreaterThanOrEqualTo(TimeSpan.FromSeconds(1), refused.RetryAfter);
        StringAssert.Contains(refused.Message, "MaxQueuedGenerations");

        stopWaiting.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => waiting);
        Assert.AreEqual(1L, engine.Statistics.Requests, "the cancelled request never started");
        Assert.AreEqual(1L, engine.Statistics.Rejected);

        stopLong.Cancel();
        await Assert.ThrowsAsync<OperationCanceledException>(() => running);
        var after = await RunAsync(engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 16, Sampling = Greedy });
        CollectionAssert.AreEqual(Golden.Instance.Cases[1].Greedy, after.Tokens, "the engine serves the next request normally");
        Assert.IsGreaterThanOrEqualTo(TimeSpan.Zero, after.Final.QueueTime);
    }

    [TestMethod]
    public async Task DisposedEngine_FailsWaitingAndNewRequests_Clearly()
    {
        var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 1 });
        var prompt = Golden.Instance.Cases[1].InputIds;
        var firstToken = new TaskCompletionSource();
        var running = RunAsync(harness.Engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 4000, Sampling = Greedy },
            afterToken: n => { if (n == 1) firstToken.TrySetResult(); return Task.CompletedTask; });
        await firstToken.Task;
        harness.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            RunAsync(harness.Engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 4, Sampling = Greedy }));
    }
}
