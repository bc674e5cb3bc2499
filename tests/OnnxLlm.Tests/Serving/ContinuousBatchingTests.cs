using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Testing;
using static OnnxLlm.Tests.Serving.EngineHarness;

namespace OnnxLlm.Tests.Serving;

/// <summary>
/// Concurrent generations decode together: each request of a mixed batch yields exactly its solo output (the golden
/// greedy tokens, or its own run alone for sampled requests), sequences join and leave between steps, and one
/// cancelled or failing sequence leaves without disturbing the others.
/// </summary>
[TestClass]
public sealed class ContinuousBatchingTests
{
    public static IEnumerable<object[]> Targets => [["cpu"], ["coreml"]];

    [TestMethod]
    [DynamicData(nameof(Targets))]
    public async Task MixedLengthBatch_EachRequestYieldsItsGoldenTokens(string target)
    {
        using var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 4, PrefixCacheBytes = 0 }, target);
        var cases = Golden.Instance.Cases;
        // Three golden prompts (1, 7 and 40 tokens) plus a sampled one, all at once; different lengths join and leave.
        var requests = cases.Select(c => new GenerationRequest { PromptTokens = c.InputIds, MaxNewTokens = c.Greedy.Length, Sampling = Greedy })
            .Append(new GenerationRequest { PromptTokens = cases[2].InputIds[..20], MaxNewTokens = 30, Sampling = new SamplingOptions { Temperature = 1, Seed = 5 } })
            .ToArray();
        var solo = new List<Result>();
        foreach (var request in requests) solo.Add(await RunAsync(harness.Engine, request));
        var results = await Task.WhenAll(requests.Select(r => RunAsync(harness.Engine, r)));
        for (int i = 0; i < requests.Length; i++)
            CollectionAssert.AreEqual(solo[i].Tokens, results[i].Tokens, $"request {i} in the batch equals its solo run");
        // The cpu graph matches transformers' greedy tokens exactly; the coreml graph only where the golden margin allows.
        if (target == "cpu")
            for (int i = 0; i < cases.Count; i++)
                CollectionAssert.AreEqual(cases[i].Greedy, results[i].Tokens, $"case {cases[i].Name} in the batch");
        var stats = harness.Engine.Statistics;
        Assert.IsGreaterThanOrEqualTo(3, stats.LargestBatch, "the requests decoded together");
        Assert.IsLessThan(stats.DecodedTokens, stats.DecodeSteps, "fewer runs than tokens: steps were shared");
    }

    [TestMethod]
    public async Task CancelledSequence_LeavesTheBatch_OthersUnaffected()
    {
        using var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 3, PrefixCacheBytes = 0 });
        var cases = Golden.Instance.Cases;
        using var cts = new CancellationTokenSource();
        var cancelled = RunAsync(harness.Engine, new GenerationRequest { PromptTokens = cases[0].InputIds, MaxNewTokens = 500, Sampling = Greedy },
            cts.Token, n => { if (n == 3) cts.Cancel(); return Task.CompletedTask; });
        var others = cases.Skip(1).Select(c => RunAsync(harness.Engine, new GenerationRequest { PromptTokens = c.InputIds, MaxNewTokens = 16, Sampling = Greedy })).ToArray();
        await Assert.ThrowsAsync<OperationCanceledException>(() => cancelled);
        var results = await Task.WhenAll(others);
        CollectionAssert.AreEqual(cases[1].Greedy, results[0].Tokens);
        CollectionAssert.AreEqual(cases[2].Greedy, results[1].Tokens);
        // The engine is still whole: the cancelled prompt runs to its golden tokens.
        var after = await RunAsync(harness.Engine, new GenerationRequest { PromptTokens = cases[0].InputIds, MaxNewTokens = 16, Sampling = Greedy });
        CollectionAssert.AreEqual(cases[0].Greedy, after.Tokens);
    }

    [TestMethod]
    public async Task FailingSequence_FailsAlone()
    {
        using var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 2, PrefixCacheBytes = 0 });
        var cases = Golden.Instance.Cases;
        var failing = RunAsync(harness.Engine, new GenerationRequest
        {
            PromptTokens = cases[1].InputIds,
            MaxNewTokens = 40,
            Sampling = Greedy,
            Constraint = new ThrowingConstraint(afterTokens: 4),
        });
        var healthy = RunAsync(harness.Engine, new GenerationRequest { PromptTokens = cases[2].InputIds, MaxNewTokens = 16, Sampling = Greedy });
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        StringAssert.Contains(error.Message, "constraint failed");
        CollectionAssert.AreEqual(cases[2].Greedy, (await healthy).Tokens);
    }

    [TestMethod]
    public async Task ModelRuns_OnTheSchedulerThread_NotTheThreadPool()
    {
        // The decode loop used to block pool threads (Task.Run), starving a server's writers under a burst.
        using var harness = await CreateAsync(new GenerationEngineOptions { MaxParallelSequences = 8, PrefixCacheBytes = 0 });
        var probes = Enumerable.Range(0, 8).Select(_ => new ThreadProbe()).ToArray();
        await Task.WhenAll(probes.Select((p, i) => RunAsync(harness.Engine, new GenerationRequest
        {
            PromptTokens = Golden.Instance.Cases[i % 3].InputIds,
            MaxNewTokens = 8,
            Sampling = Greedy,
            Constraint = p,
        })));
        Assert.IsTrue(probes.All(p => p.Calls > 0));
        Assert.IsFalse(probes.Any(p => p.SawPoolThread), "sampling and decode steps must not run on thread-pool threads");
        Assert.AreEqual(1, probes.Select(p => p.ThreadId).Distinct().Count(), "one scheduler thread serves every sequence");
    }

    private sealed class ThrowingConstraint(int afterTokens) : ILogitsConstraint
    {
        private int _accepted;
        public bool IsComplete => false;
        public void Apply(Span<float> logits)
        {
            if (_accepted >= afterTokens) throw new InvalidOperationException("The constraint failed on purpose.");
        }
        public void Accept(int tokenId) => _accepted++;
    }

    private sealed class ThreadProbe : ILogitsConstraint
    {
        public int Calls;
        public bool SawPoolThread;
        public int ThreadId;
        public bool IsComplete => false;
        public void Apply(Span<float> logits)
        {
            Calls++;
            SawPoolThread |= Thread.CurrentThread.IsThreadPoolThread;
            ThreadId = Environment.CurrentManagedThreadId;
        }
        public void Accept(int tokenId) { }
    }
}
