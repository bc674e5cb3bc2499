using OnnxLlm.Generation;
using OnnxLlm.Testing;
using static OnnxLlm.Tests.Serving.EngineHarness;

namespace OnnxLlm.Tests.Serving;

/// <summary>
/// Prefix reuse: a prompt starting with the token ids of an earlier sequence copies that sequence's KV cache and
/// prefills only the rest. Each answer is compared with an engine whose prefix cache is off (the peer oracle).
/// </summary>
[TestClass]
public sealed class PrefixReuseTests
{
    public static IEnumerable<object[]> Targets => [["cpu"], ["coreml"]];

    private static GenerationRequest Request(int[] prompt, int tokens = 12) => new() { PromptTokens = prompt, MaxNewTokens = tokens, Sampling = Greedy };

    [TestMethod]
    [DynamicData(nameof(Targets))]
    public async Task NextTurn_ReusesTheConversation_AndAnswersAsWithoutReuse(string target)
    {
        using var reuse = await CreateAsync(new GenerationEngineOptions(), target);
        using var fresh = await CreateAsync(new GenerationEngineOptions { PrefixCacheBytes = 0 }, target);
        var prompt = Golden.Instance.Cases[2].InputIds;
        var turn1 = await RunAsync(reuse.Engine, Request(prompt));
        Assert.AreEqual(0, turn1.Final.CachedPromptTokens);

        // The next turn: the history (prompt + answer) and a new question. The answer's last token was sampled but never
        // fed to the model, so the cache holds the prompt and all but the last answer token.
        int[] next = [.. prompt, .. turn1.Tokens, .. Golden.Instance.Cases[1].InputIds];
        var turn2 = await RunAsync(reuse.Engine, Request(next));
        var peer = await RunAsync(fresh.Engine, Request(next));
        Assert.AreEqual(prompt.Length + turn1.Tokens.Count - 1, turn2.Final.CachedPromptTokens);
        Assert.AreEqual(0, peer.Final.CachedPromptTokens);
        CollectionAssert.AreEqual(peer.Tokens, turn2.Tokens);
        Assert.AreEqual(peer.Text, turn2.Text);

        // The same prompt again: everything but its last token comes from the cache.
        var again = await RunAsync(reuse.Engine, Request(next));
        Assert.AreEqual(next.Length - 1, again.Final.CachedPromptTokens);
        CollectionAssert.AreEqual(peer.Tokens, again.Tokens);
    }

    [TestMethod]
    public async Task SharedSystemPrompt_IsPrefilledOnce_ForManyUsers()
    {
        using var reuse = await CreateAsync(new GenerationEngineOptions());
        using var fresh = await CreateAsync(new GenerationEngineOptions { PrefixCacheBytes = 0 });
        int[] system = Golden.Instance.Cases[2].InputIds; // 40 tokens every user's prompt starts with
        var users = Enumerable.Range(0, 4).Select(u => (int[])[.. system, 1000 + u, 2000 + u, 3000 + u]).ToArray();
        await RunAsync(reuse.Engine, Request(users[0]));
        // The other users arrive together; each starts from the first user's cached system prompt.
        var answers = await Task.WhenAll(users.Skip(1).Select(p => RunAsync(reuse.Engine, Request(p))));
        foreach (var answer in answers) Assert.IsGreaterThanOrEqualTo(system.Length, answer.Final.CachedPromptTokens);
        for (int u = 1; u < users.Length; u++)
            CollectionAssert.AreEqual((await RunAsync(fresh.Engine, Request(users[u]))).Tokens, answers[u - 1].Tokens, $"user {u}");
        var stats = reuse.Engine.Statistics;
        Assert.AreEqual(4L * (system.Length + 3), stats.PromptTokens);
        Assert.IsGreaterThanOrEqualTo(3L * system.Length, stats.ReusedPromptTokens);
    }

    [TestMethod]
    public async Task TinyBudget_EvictsLeastRecentlyUsed_AndAnswersStayCorrect()
    {
        // Room for about one 60-token sequence (512 bytes of KV per token in the tiny model).
        const long Budget = 60 * 512;
        using var reuse = await CreateAsync(new GenerationEngineOptions { PrefixCacheBytes = Budget });
        using var fresh = await CreateAsync(new GenerationEngineOptions { PrefixCacheBytes = 0 });
        var starts = Enumerable.Range(0, 3).Select(c => (int[])[.. Golden.Instance.Cases[2].InputIds[..(10 + c)], 500 + c]).ToArray();
        var histories = starts.ToArray();
        for (int turn = 0; turn < 2; turn++)
        {
            for (int c = 0; c < starts.Length; c++)
            {
                var answer = await RunAsync(reuse.Engine, Request(histories[c], 8));
                var peer = await RunAsync(fresh.Engine, Request(histories[c], 8));
                CollectionAssert.AreEqual(peer.Tokens, answer.Tokens, $"conversation {c}, turn {turn}");
                histories[c] = [.. histories[c], .. answer.Tokens, 42];
                Assert.IsLessThanOrEqualTo(Budget, reuse.Engine.Statistics.CachedBytes);
            }
        }
        var stats = reuse.Engine.Statistics;
        Assert.IsGreaterThan(0L, stats.CacheEvictions, "the budget forced evictions");
        Assert.IsGreaterThan(0L, stats.ReusedPromptTokens, "conversations still shared their common start");
    }

    [TestMethod]
    public async Task CachedTokens_AreReportedInUsage()
    {
        var model = await Engine.TinyModel.LoadNewAsync();
        try
        {
            using var client = new OnnxLlm.Chat.OnnxLlmChatClient(model, 8);
            var history = new List<Microsoft.Extensions.AI.ChatMessage> { new(Microsoft.Extensions.AI.ChatRole.System, "You are terse."), new(Microsoft.Extensions.AI.ChatRole.User, "Hi") };
            var options = new Microsoft.Extensions.AI.ChatOptions { Temperature = 0 };
            var first = await client.GetResponseAsync(history, options);
            Assert.AreEqual(0L, first.Usage?.CachedInputTokenCount ?? 0);
            history.AddRange(first.Messages);
            history.Add(new(Microsoft.Extensions.AI.ChatRole.User, "And then?"));
            var second = await client.GetResponseAsync(history, options);
            // The second prompt repeats the first prompt verbatim (the system and user turns at least).
            Assert.IsGreaterThanOrEqualTo(first.Usage!.InputTokenCount!.Value, second.Usage!.CachedInputTokenCount!.Value);
        }
        finally
        {
            model.Dispose();
        }
    }
}
