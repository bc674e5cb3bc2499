using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Constraints;
using OnnxLlm.Tests.Constraints;
using OnnxLlm.Tests.Engine;
using OnnxLlm.Testing;
using OnnxLlm.Tools;

namespace OnnxLlm.Tests.Tools;

/// <summary>Tool calling through OnnxLlmChatClient: forced calls on the random tiny model, scripted model text for the rest.</summary>
[TestClass]
public sealed class ToolCallingChatTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What's the weather in Paris?")];

    private static readonly AIFunction Weather = AIFunctionFactory.Create(
        (string city, int days, bool metric) => $"Sunny in {city} for {days} days", "get_weather", "Gets the weather forecast.");

    private static readonly AIFunction Time = AIFunctionFactory.Create(
        (string zone) => "12:00", "get_time", "Gets the time in a zone.");

    // No free-text parameters: a random model rarely closes an unbounded string within a test budget.
    private static readonly AIFunction Forecast = AIFunctionFactory.Create(
        (int days, bool metric, DayOfWeek from) => $"{days} days", "forecast", "Forecast for some days.");

    private static readonly AIFunctionDeclaration Search = AIFunctionFactory.CreateDeclaration("search", "Searches.",
        JsonDocument.Parse("""{"type":"object","properties":{"query":{"type":"string","maxLength":10},"limit":{"type":"integer"},"filters":{"type":"array","items":{"enum":["new","old"]},"maxItems":2}},"required":["query"]}""").RootElement);

    private static async Task<OnnxLlmChatClient> ClientAsync() => new(await TinyModel.GetAsync());

    [TestMethod]
    public async Task RequireAny_AlwaysYieldsOneValidCall_ToADeclaredFunction()
    {
        using var client = await ClientAsync();
        AIFunctionDeclaration[] tools = [Search, Time];
        for (int seed = 1; seed <= 5; seed++)
        {
            var response = await client.GetResponseAsync(Question, new ChatOptions
            {
                Tools = [.. tools], ToolMode = ChatToolMode.RequireAny, Seed = seed, Temperature = 1.0f, MaxOutputTokens = 300,
            });
            var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
            Assert.IsNull(call.Exception, $"seed {seed}: {call.Exception?.Message}");
            var function = tools.Single(t => t.Name == call.Name);
            var arguments = JsonSerializer.SerializeToElement(call.Arguments);
            Assert.IsNull(SchemaValidator.Validate(arguments, function.JsonSchema), $"seed {seed}: {arguments}");
            Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
            Assert.AreEqual("", response.Text.Trim(), "a forced call has no text around it");
        }
    }

    [TestMethod]
    public async Task RequireSpecific_CallsThatFunction_StreamingOneWholeCallUpdate()
    {
        using var client = await ClientAsync();
        for (int seed = 1; seed <= 5; seed++)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var u in client.GetStreamingResponseAsync(Question, new ChatOptions
            {
                Tools = [Weather, Time, Search, Forecast], ToolMode = ChatToolMode.RequireSpecific("forecast"), Seed = seed, Temperature = 1.0f, MaxOutputTokens = 300,
            }))
                updates.Add(u);
            var callUpdates = updates.Where(u => u.Contents.OfType<FunctionCallContent>().Any()).ToList();
            Assert.HasCount(1, callUpdates);
            var call = callUpdates[0].Contents.OfType<FunctionCallContent>().Single();
            Assert.AreEqual("forecast", call.Name);
            Assert.IsNull(call.Exception);
            Assert.IsNull(SchemaValidator.Validate(JsonSerializer.SerializeToElement(call.Arguments), Forecast.JsonSchema), JsonSerializer.Serialize(call.Arguments));
            Assert.AreEqual(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
            Assert.IsFalse(updates.Any(u => u.Text.Contains("tool_call")), "block text is never emitted as text");
        }
    }

    [TestMethod]
    public async Task RequireSpecific_UnknownFunction_Throws()
    {
        using var client = await ClientAsync();
        var ex = await Assert.ThrowsExactlyAsync<ArgumentException>(() => client.GetResponseAsync(Question,
            new ChatOptions { Tools = [Weather], ToolMode = ChatToolMode.RequireSpecific("nope") }));
        StringAssert.Contains(ex.Message, "nope");
    }

    [TestMethod]
    public async Task ForcedCallGrammar_AcceptsTheScriptedTokensOfAValidCall()
    {
        var model = await TinyModel.GetAsync();
        var matcher = new GrammarTokenMatcher(ToolCallGrammar.Create([Weather], model.Tokenizer), model.Tokenizer, model.StopTokenIds);
        var constraint = matcher.CreateConstraint();
        foreach (int token in model.Tokenizer.Encode("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3, \"metric\": true}}\n</tool_call>"))
        {
            Assert.IsTrue(constraint.IsAllowed(token), $"token {token} '{model.Tokenizer.Decode([token])}'");
            constraint.Accept(token);
        }
        Assert.IsTrue(constraint.IsComplete);
    }

    [TestMethod]
    public async Task ScriptedAnswer_TextThenTwoCalls_AndAllowMultipleFalseStopsAfterTheFirst()
    {
        var model = await TinyModel.GetAsync();
        string text = "Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 1, \"metric\": true}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"CET\"}}\n</tool_call>";
        using var client = new OnnxLlmChatClient(model);
        client.GenerateOverride = new ScriptedGeneration(model.Tokenizer, text, text).GenerateAsync;

        var both = await client.GetResponseAsync(Question, new ChatOptions { Tools = [Weather, Time] });
        Assert.AreEqual("Checking.", both.Text);
        Assert.HasCount(2, both.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList());
        Assert.AreEqual(ChatFinishReason.ToolCalls, both.FinishReason);

        var first = await client.GetResponseAsync(Question, new ChatOptions { Tools = [Weather, Time], AllowMultipleToolCalls = false });
        Assert.AreEqual("get_weather", first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single().Name);
        Assert.AreEqual(ChatFinishReason.ToolCalls, first.FinishReason);
    }

    [TestMethod]
    public async Task ToolModeNone_LeavesToolCallTextAlone_AndRendersNoTools()
    {
        var model = await TinyModel.GetAsync();
        string text = "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n</tool_call>";
        var script = new ScriptedGeneration(model.Tokenizer, text);
        using var client = new OnnxLlmChatClient(model) { GenerateOverride = null };
        client.GenerateOverride = script.GenerateAsync;
        var response = await client.GetResponseAsync(Question, new ChatOptions { Tools = [Time], ToolMode = ChatToolMode.None });
        Assert.AreEqual(text, response.Text);
        Assert.DoesNotContain("<tools>", script.Prompts[0]);
    }

    [TestMethod]
    public async Task UseFunctionInvocation_RoundTrip_RendersTheResultBackThroughTheTemplate()
    {
        var model = await TinyModel.GetAsync();
        var script = new ScriptedGeneration(model.Tokenizer,
            "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2, \"metric\": true}}\n</tool_call>",
            "It will be sunny in Paris.");
        using var inner = new OnnxLlmChatClient(model) { GenerateOverride = script.GenerateAsync };
        using var client = inner.AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync(Question, new ChatOptions { Tools = [Weather] });

        Assert.AreEqual("It will be sunny in Paris.", response.Messages[^1].Text);
        Assert.HasCount(2, script.Prompts);
        StringAssert.Contains(script.Prompts[0], "<tools>");
        StringAssert.Contains(script.Prompts[0], "\"name\": \"get_weather\"");
        // The second prompt holds the assistant's call and the function's result as a tool turn.
        StringAssert.Contains(script.Prompts[1], "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2, \"metric\": true}}\n</tool_call>");
        StringAssert.Contains(script.Prompts[1], "<tool_response>\nSunny in Paris for 2 days\n</tool_response>");
        var result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        Assert.AreEqual("Sunny in Paris for 2 days", result.Result?.ToString());
    }
}
