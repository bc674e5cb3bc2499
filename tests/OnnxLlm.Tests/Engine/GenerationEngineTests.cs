using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Engine;

/// <summary>The generation loop against transformers' goldens and its own invariants.</summary>
[TestClass]
public sealed class GenerationEngineTests
{
    private static readonly SamplingOptions Greedy = new() { Temperature = 0 };

    private static async Task<(List<int> Tokens, GenerationUpdate Final, string Text)> RunAsync(GenerationEngine engine, GenerationRequest request,
        CancellationToken cancellationToken = default)
    {
        var tokens = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationUpdate final = default;
        await foreach (var update in engine.GenerateAsync(request, cancellationToken))
        {
            if (update.TokenId >= 0) tokens.Add(update.TokenId);
            text.Append(update.Text);
            if (update.FinishReason is not null) final = update;
        }
        return (tokens, final, text.ToString());
    }

    public static IEnumerable<object[]> Cases => Enumerable.Range(0, Golden.Instance.Cases.Count).Select(i => new object[] { i, Golden.Instance.Cases[i].Name });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public async Task GreedyGeneration_YieldsTheGoldenTokens(int index, string name)
    {
        var golden = Golden.Instance.Cases[index];
        var model = await TinyModel.GetAsync();
        var (tokens, final, _) = await RunAsync(model.Engine, new GenerationRequest
        {
            PromptTokens = golden.InputIds,
            MaxNewTokens = golden.Greedy.Length,
            Sampling = Greedy,
        });
        CollectionAssert.AreEqual(golden.Greedy, tokens, name);
        Assert.AreEqual(GenerationFinishReason.Length, final.FinishReason);
        Assert.AreEqual(golden.InputIds.Length, final.PromptTokens);
        Assert.AreEqual(golden.Greedy.Length, final.GeneratedTokens);
    }

    [TestMethod]
    public async Task EndToken_StopsGeneration_WithoutShowingIt()
    {
        var golden = Golden.Instance.Cases[1]; // greedy: 112419 ×6, then 124927
        var model = await TinyModel.GetAsync();
        var (tokens, final, _) = await RunAsync(model.Engine, new GenerationRequest
        {
            PromptTokens = golden.InputIds,
            MaxNewTokens = 16,
            Sampling = Greedy,
            StopTokenIds = [124927],
        });
        CollectionAssert.AreEqual(golden.Greedy.Take(6).ToArray(), tokens);
        Assert.AreEqual(GenerationFinishReason.Stop, final.FinishReason);
        Assert.AreEqual(7, final.GeneratedTokens, "the end token is counted but not shown");
    }

    [TestMethod]
    public async Task SameSeed_SameOutput_DifferentSeeds_DifferentOutput()
    {
        var model = await TinyModel.GetAsync();
        GenerationRequest Request(long seed) => new()
        {
            PromptTokens = Golden.Instance.Cases[2].InputIds,
            MaxNewTokens = 24,
            Sampling = new SamplingOptions { Temperature = 1.0f, Seed = seed },
        };
        var a = await RunAsync(model.Engine, Request(42));
        var b = await RunAsync(model.Engine, Request(42));
        var c = await RunAsync(model.Engine, Request(43));
        CollectionAssert.AreEqual(a.Tokens, b.Tokens);
        Assert.AreEqual(a.Text, b.Text);
        CollectionAssert.AreNotEqual(a.Tokens, c.Tokens);
    }

    [TestMethod]
    public async Task StopSequenceSpanningTokens_StopsBeforeIt()
    {
        var model = await TinyModel.GetAsync();
        var baseRequest = new GenerationRequest
        {
            PromptTokens = Golden.Instance.Cases[2].InputIds,
            MaxNewTokens = 24,
            Sampling = new SamplingOptions { Temperature = 1.0f, Seed = 7 },
        };
        var free = await RunAsync(model.Engine, baseRequest);
        // Pick a stop string that straddles the boundary between two generated tokens' text.
        var pieces = new List<string>();
        await foreach (var u in model.Engine.GenerateAsync(baseRequest)) if (u.Text.Length > 0) pieces.Add(u.Text);
        int boundary = pieces[0].Length + pieces[1].Length; // end of the 2nd piece
        Assert.IsGreaterThanOrEqualTo(1, pieces[1].Length);
        Assert.IsGreaterThanOrEqualTo(1, pieces[2].Length);
        string stop = free.Text.Substring(boundary - 1, 2);
        int expectedEnd = free.Text.IndexOf(stop, StringComparison.Ordinal);

        var stopped = await RunAsync(model.Engine, baseRequest with { StopSequences = [stop] });
        Assert.AreEqual(free.Text[..expectedEnd], stopped.Text);
        Assert.AreEqual(GenerationFinishReason.Stop, stopped.Final.FinishReason);
    }

    [TestMethod]
    public async Task PromptPlusOutputBeyondContext_ThrowsWithCounts_AndEngineStaysUsable()
    {
        var model = await TinyModel.GetAsync();
        var prompt = Golden.Instance.Cases[0].InputIds;
        var ex = await Assert.ThrowsExactlyAsync<ContextLengthExceededException>(async () =>
            await RunAsync(model.Engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = model.Engine.ContextLength, Sampling = Greedy }));
        Assert.AreEqual(prompt.Length, ex.PromptTokens);
        Assert.AreEqual(model.Engine.ContextLength, ex.RequestedOutputTokens);
        StringAssert.Contains(ex.Message, model.Engine.ContextLength.ToString());
        var (tokens, _, _) = await RunAsync(model.Engine, new GenerationRequest { PromptTokens = prompt, MaxNewTokens = 2, Sampling = Greedy });
        Assert.HasCount(2, tokens);
    }

    [TestMethod]
    public async Task CancellationMidStream_StopsBetweenTokens_AndEngineStaysUsable()
    {
        var model = await TinyModel.GetAsync();
        var golden = Golden.Instance.Cases[1];
        using var cts = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (var u in model.Engine.GenerateAsync(new GenerationRequest { PromptTokens = golden.InputIds, MaxNewTokens = 500, Sampling = Greedy }, cts.Token))
                if (u.TokenId >= 0 && ++seen == 3) cts.Cancel();
        });
        Assert.IsLessThan(500, seen);
        var after = await RunAsync(model.Engine, new GenerationRequest { PromptTokens = golden.InputIds, MaxNewTokens = 16, Sampling = Greedy });
        CollectionAssert.AreEqual(golden.Greedy, after.Tokens);
    }

    [TestMethod]
    public async Task InvalidPrompt_IsRejectedWithTheReason()
    {
        var model = await TinyModel.GetAsync();
        await Assert.ThrowsExactlyAsync<ArgumentException>(async () =>
            await RunAsync(model.Engine, new GenerationRequest { PromptTokens = [], MaxNewTokens = 4 }));
        var ex = await Assert.ThrowsExactlyAsync<ArgumentException>(async () =>
            await RunAsync(model.Engine, new GenerationRequest { PromptTokens = [1, model.Config.VocabSize], MaxNewTokens = 4 }));
        StringAssert.Contains(ex.Message, model.Config.VocabSize.ToString());
    }
}
