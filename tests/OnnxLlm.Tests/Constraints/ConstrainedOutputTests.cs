using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Tests.Engine;

namespace OnnxLlm.Tests.Constraints;

/// <summary>
/// Constrained decoding on the synthetic qwen2-tiny model: its weights are random, so whatever text it
/// prefers is noise — output that parses and validates every time shows the mask, not the model, did it.
/// </summary>
[TestClass]
public sealed class ConstrainedOutputTests
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "Reply in JSON.")];
    private static readonly int[] Seeds = [1, 2, 3, 4, 5];

    public static IEnumerable<object[]> Schemas =>
    [
        ["object-required-optional", """{"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer"},"vip":{"type":"boolean"}},"required":["name","age"]}"""],
        ["nested-object", """{"type":"object","properties":{"user":{"type":"object","properties":{"id":{"type":"integer"},"tags":{"type":"array","items":{"type":"string","maxLength":6},"maxItems":3}},"required":["id","tags"]},"ok":{"type":"boolean"}},"required":["user","ok"]}"""],
        ["array-of-integers", """{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":8}"""],
        ["enum-string", """{"type":"object","properties":{"color":{"type":"string","enum":["red","green","blue","dark \"navy\""]}},"required":["color"]}"""],
        ["string-with-escapes", """{"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":24}},"required":["text"]}"""],
        ["scalars", """{"type":"object","properties":{"n":{"type":"number"},"i":{"type":"integer"},"b":{"type":"boolean"},"z":{"type":"null"},"s":{"type":["string","null"],"maxLength":5}},"required":["n","i","b","z","s"]}"""],
        ["top-level-array-of-objects", """{"type":"array","items":{"type":"object","properties":{"k":{"enum":[1,2,3]},"v":{"anyOf":[{"type":"string","maxLength":4},{"type":"null"}]}},"required":["k","v"]},"maxItems":4}"""],
        ["refs", """{"$defs":{"point":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"]}},"type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"]}"""],
    ];

    [TestMethod]
    [DynamicData(nameof(Schemas))]
    public async Task SampledOutput_AlwaysParsesAndValidates(string name, string schemaText)
    {
        var schema = JsonDocument.Parse(schemaText).RootElement;
        using var client = new OnnxLlmChatClient(await TinyModel.GetAsync());
        foreach (int seed in Seeds)
        {
            var response = await client.GetResponseAsync(Prompt, new ChatOptions
            {
                Seed = seed,
                Temperature = 1.0f,
                MaxOutputTokens = 400,
                ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, name),
            });
            string text = response.Text;
            Assert.AreEqual(ChatFinishReason.Stop, response.FinishReason, $"{name} seed {seed}: the value should close before the token limit: {text}");
            using var document = JsonDocument.Parse(text);
            Assert.IsNull(SchemaValidator.Validate(document.RootElement, schema), $"{name} seed {seed}: {text}");
        }
    }

    [TestMethod]
    public async Task JsonFormat_OutputIsAJsonObject()
    {
        using var client = new OnnxLlmChatClient(await TinyModel.GetAsync());
        foreach (int seed in Seeds)
        {
            var response = await client.GetResponseAsync(Prompt, new ChatOptions
            {
                Seed = seed,
                Temperature = 1.0f,
                MaxOutputTokens = 600,
                ResponseFormat = ChatResponseFormat.Json,
            });
            if (response.FinishReason == ChatFinishReason.Length) continue; // free-form JSON may be longer than the budget
            using var document = JsonDocument.Parse(response.Text);
            Assert.AreEqual(JsonValueKind.Object, document.RootElement.ValueKind, response.Text);
        }
    }

    // No free-text members: a random model rarely closes an unbounded string within a test budget.
    public sealed record Person(int Age, bool? Member, double Score, int[] Lucky, Color Favourite);

    public enum Color { Red, Green, Blue }

    [TestMethod]
    public async Task GetResponseAsyncOfT_ReturnsARecord_AndANonObjectType()
    {
        using var client = new OnnxLlmChatClient(await TinyModel.GetAsync());
        var options = new ChatOptions { Seed = 7, Temperature = 1.0f, MaxOutputTokens = 400 };
        var person = await client.GetResponseAsync<Person>(Prompt, options);
        Assert.IsTrue(person.TryGetResult(out var result), person.Text);
        Assert.IsNotNull(result!.Lucky);
        Assert.IsTrue(Enum.IsDefined(result.Favourite));

        var number = await client.GetResponseAsync<int>(Prompt, new ChatOptions { Seed = 8, Temperature = 1.0f, MaxOutputTokens = 50 });
        Assert.IsTrue(number.TryGetResult(out _), number.Text); // M.E.AI wraps a non-object schema as {"data": …}
    }

    [TestMethod]
    public async Task ConstraintStopsTheEngine_AtTheClosingBrace()
    {
        using var client = new OnnxLlmChatClient(await TinyModel.GetAsync());
        var response = await client.GetResponseAsync(Prompt, new ChatOptions
        {
            Seed = 11,
            MaxOutputTokens = 200,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}""").RootElement),
        });
        Assert.IsTrue(response.Text.EndsWith('}'), response.Text);
        Assert.IsLessThanOrEqualTo(30, (int)response.Usage!.OutputTokenCount!, "{\"ok\":false} with bounded whitespace is a few tokens, far below the limit");
    }
}
