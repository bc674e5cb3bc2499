using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;

namespace OnnxLlm.Tests.Serving;

/// <summary>
/// No cross-talk between sequences decoded in one batch: concurrent streams with different JSON schemas, stop strings,
/// seeds and limits each produce exactly the text they produce alone, and every schema-bound answer parses.
/// </summary>
[TestClass]
public sealed class ConcurrentStreamsTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "Tell me about yourself.")];

    private static ChatOptions[] Requests() =>
    [
        new() { Seed = 1, Temperature = 1, MaxOutputTokens = 40,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string","maxLength":8},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement, "person") },
        new() { Seed = 2, Temperature = 1, MaxOutputTokens = 40,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"array","items":{"enum":["red","green"]},"maxItems":3}""").RootElement, "colours") },
        new() { Seed = 3, Temperature = 1, MaxOutputTokens = 30, StopSequences = ["e", "an"] },
        new() { Seed = 4, Temperature = 0.7f, MaxOutputTokens = 20 },
        new() { Temperature = 0, MaxOutputTokens = 25, StopSequences = ["."] },
    ];

    [TestMethod]
    public async Task ConcurrentStreams_WithDifferentSchemasAndStops_EachEqualItsSoloRun()
    {
        using var model = await Engine.TinyModel.LoadNewAsync(o => { o.MaxConcurrentGenerations = 4; o.PrefixCacheBytes = 0; });
        using var client = new OnnxLlmChatClient(model, 40);
        var requests = Requests();
        var solo = new List<string>();
        foreach (var options in requests) solo.Add((await client.GetResponseAsync(Question, options)).Text);

        for (int round = 0; round < 2; round++)
        {
            var together = await Task.WhenAll(requests.Select(async options =>
            {
                var text = new System.Text.StringBuilder();
                await foreach (var update in client.GetStreamingResponseAsync(Question, options)) text.Append(update.Text);
                return text.ToString();
            }));
            for (int i = 0; i < requests.Length; i++) Assert.AreEqual(solo[i], together[i], $"round {round}, request {i}");
        }
        using (JsonDocument.Parse(solo[0])) { }
        using (JsonDocument.Parse(solo[1])) { }
        Assert.DoesNotContain("e", solo[2]);
        Assert.IsGreaterThanOrEqualTo(4, model.Engine.Statistics.LargestBatch, "the streams decoded together");
    }
}
