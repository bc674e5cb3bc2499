using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Tests.Constraints;
using OnnxLlm.Tests.Engine;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Reasoning;

/// <summary>
/// A Qwen3 folder (qwen3-tiny, with Qwen3's tokenizer_config.json and thinking template) behind OnnxLlmChatClient: the
/// thinking switch reaches the template, reasoning streams as TextReasoningContent apart from the answer, usage counts
/// the thinking tokens, tool calls are parsed from the answer only, and constraints hold with thinking on.
/// </summary>
[TestClass]
public sealed class Qwen3ChatTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "What is 2+2?")];
    private const string Thought = "<think>\nThe user asks 2+2. That is 4.\n</think>\n\nIt is 4.";
    private const string EmptyThinkBlock = "<think>\n\n</think>\n\n";

    private static async Task<(OnnxLlmChatClient Client, ScriptedGeneration Script)> ScriptedAsync(params string[] responses)
    {
        var model = await TinyModel.Qwen3Async();
        var script = new ScriptedGeneration(model.Tokenizer, responses);
        return (new OnnxLlmChatClient(model) { GenerateOverride = script.GenerateAsync }, script);
    }

    [TestMethod]
    public async Task Reasoning_StreamsAsTextReasoningContent_AndTheAnswerAsText()
    {
        var (client, _) = await ScriptedAsync(Thought);
        using var _1 = client;
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question)) updates.Add(u);

        var contents = updates.SelectMany(u => u.Contents).ToList();
        Assert.AreEqual("The user asks 2+2. That is 4.", string.Concat(contents.OfType<TextReasoningContent>().Select(c => c.Text)));
        Assert.AreEqual("It is 4.", string.Concat(contents.OfType<TextContent>().Select(c => c.Text)));
        Assert.IsFalse(contents.OfType<TextContent>().Any(c => c.Text.Contains("think", StringComparison.Ordinal)), "tags never reach the answer");
        int lastReasoning = contents.FindLastIndex(c => c is TextReasoningContent), firstAnswer = contents.FindIndex(c => c is TextContent);
        Assert.IsLessThan(firstAnswer, lastReasoning, "reasoning streams before the answer");

        var response = updates.ToChatResponse();
        Assert.AreEqual("It is 4.", response.Text, "ChatResponse.Text is the answer alone");
        var model = await TinyModel.Qwen3Async();
        int thinking = model.Tokenizer.Encode("<think>\nThe user asks 2+2. That is 4.\n</think>").Count;
        Assert.AreEqual(thinking, (int)response.Usage!.ReasoningTokenCount!, "every token from <think> to </think>");
        Assert.AreEqual(model.Tokenizer.Encode(Thought).Count, (int)response.Usage.OutputTokenCount!, "output counts thinking too");
    }

    [TestMethod]
    public async Task ThinkingSwitch_ReachesTheTemplate_PerRequestAndByDefault()
    {
        var model = await TinyModel.Qwen3Async();
        var cases = new (OnnxLlmChatClient Client, ChatOptions? Options, bool Thinks)[]
        {
            (new OnnxLlmChatClient(model), null, true),
            (new OnnxLlmChatClient(model), new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } }, false),
            (new OnnxLlmChatClient(model), new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } }, true),
            (new OnnxLlmChatClient(model) { EnableThinkingByDefault = false }, null, false),
            (new OnnxLlmChatClient(model) { EnableThinkingByDefault = false }, new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.Low } }, true),
        };
        foreach (var (client, options, thinks) in cases)
        {
            using var _ = client;
            string prompt = model.Tokenizer.Decode(client.BuildRequest(Question, options).PromptTokens);
            string expectedEnd = "<|im_start|>assistant\n" + (thinks ? "" : EmptyThinkBlock);
            Assert.IsTrue(prompt.EndsWith(expectedEnd, StringComparison.Ordinal), $"effort {options?.Reasoning?.Effort}: {prompt}");
        }
    }

    [TestMethod]
    public async Task OptionsEnableThinkingFalse_IsTheLoadedClientsDefault()
    {
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions
        {
            ModelPath = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1, EnableThinking = false,
        });
        Assert.IsFalse(client.EnableThinkingByDefault);
        string prompt = client.Model.Tokenizer.Decode(client.BuildRequest(Question, null).PromptTokens);
        Assert.IsTrue(prompt.EndsWith(EmptyThinkBlock, StringComparison.Ordinal), prompt);
    }

    [TestMethod]
    public async Task ReasoningOutputNone_HidesTheReasoning_ButStillCountsIt()
    {
        var (client, _) = await ScriptedAsync(Thought);
        using var _1 = client;
        var response = await client.GetResponseAsync(Question, new ChatOptions { Reasoning = new ReasoningOptions { Output = ReasoningOutput.None } });
        Assert.IsFalse(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Any());
        Assert.AreEqual("It is 4.", response.Text);
        Assert.IsGreaterThan(0, (int)response.Usage!.ReasoningTokenCount!);
    }

    [TestMethod]
    public async Task EarlierReasoning_IsStrippedFromHistory_AsQwen3sTemplateDoes()
    {
        var (client, script) = await ScriptedAsync(Thought, "Five.");
        using var _1 = client;
        var history = new List<ChatMessage>(Question);
        var first = await client.GetResponseAsync(history);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.User, "And 2+3?"));
        await client.GetResponseAsync(history);
        string second = script.Prompts[1];
        StringAssert.Contains(second, "<|im_start|>assistant\nIt is 4.<|im_end|>\n<|im_start|>user\nAnd 2+3?");
        Assert.IsFalse(second.Contains("That is 4", StringComparison.Ordinal), "the previous turn's reasoning is not resent");
    }

    [TestMethod]
    public async Task ToolCall_AfterThinking_IsParsedFromTheAnswer()
    {
        const string text = "<think>\nI need the weather. <tool_call> is how I call.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        var (client, _) = await ScriptedAsync(text);
        using var _1 = client;
        var weather = AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather", "Gets the weather.");
        var response = await client.GetResponseAsync(Question, new ChatOptions { Tools = [weather] });
        var call = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("get_weather", call.Name);
        Assert.AreEqual("Paris", call.Arguments!["city"]!.ToString());
        Assert.AreEqual(ChatFinishReason.ToolCalls, response.FinishReason);
        StringAssert.Contains(string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text)),
            "<tool_call> is how I call", "a tag inside the reasoning is reasoning, not a call");
    }

    [TestMethod]
    public async Task CapReachedWhileThinking_EndsWithLength_NoAnswer_AndAWarningThatSaysWhy()
    {
        var model = await TinyModel.Qwen3Async();
        var logs = new OnnxLlm.Tests.Chat.CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        string thinking = "<think>\nLet me consider this very carefully, step by step, and then again";
        var script = new ScriptedGeneration(model.Tokenizer, thinking) { Finish = OnnxLlm.Generation.GenerationFinishReason.Length };
        using var client = new OnnxLlmChatClient(model, loggerFactory: factory) { GenerateOverride = script.GenerateAsync };

        var response = await client.GetResponseAsync(Question);

        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
        Assert.AreEqual("", response.Text, "no answer was reached");
        Assert.AreEqual(model.Tokenizer.Encode(thinking).Count, (int)response.Usage!.ReasoningTokenCount!);
        Assert.AreEqual(response.Usage.OutputTokenCount, response.Usage.ReasoningTokenCount, "every output token was thinking");
        Assert.IsTrue(logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("still thinking", StringComparison.Ordinal)),
            string.Join("\n", logs.Entries.Select(e => e.Message)));
    }

    [TestMethod]
    public async Task RealQwen3Folder_ThinkingOn_OutputCapCountsEveryToken()
    {
        using var client = new OnnxLlmChatClient(await TinyModel.Qwen3Async(), defaultMaxOutputTokens: 7);
        var response = await client.GetResponseAsync(Question, new ChatOptions { Seed = 5, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } });
        Assert.IsLessThanOrEqualTo(7, (int)response.Usage!.OutputTokenCount!);
        Assert.IsLessThanOrEqualTo((int)response.Usage.OutputTokenCount!, (int)(response.Usage.ReasoningTokenCount ?? 0));
    }

    [TestMethod]
    public async Task RealQwen3Folder_JsonSchemaWithThinkingOff_GivesValidJson()
    {
        // The synthetic model's own choices through the engine: the schema constraint holds on a Qwen3 folder.
        using var client = new OnnxLlmChatClient(await TinyModel.Qwen3Async());
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"ok":{"type":"boolean"},"n":{"enum":[1,2,3]}},"required":["ok","n"],"additionalProperties":false}""").RootElement;
        var response = await client.GetResponseAsync(Question, new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema), Seed = 3, MaxOutputTokens = 64,
            Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None },
        });
        using var json = JsonDocument.Parse(response.Text);
        Assert.IsNull(SchemaValidator.Validate(json.RootElement, schema), response.Text);
    }

    [TestMethod]
    public async Task RealQwen3Folder_GreedyReply_IsTheSameOnBothTargets()
    {
        var greedy = new ChatOptions { MaxOutputTokens = 12, Temperature = 0 };
        using var cpu = new OnnxLlmChatClient(await TinyModel.Qwen3Async());
        using var coreml = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = await TestModels.Qwen3TinyCoreMLAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        var expected = await cpu.GetResponseAsync(Question, greedy);
        var actual = await coreml.GetResponseAsync(Question, greedy);
        Assert.AreEqual(12, (int)expected.Usage!.OutputTokenCount!);
        Assert.AreEqual(expected.Text, actual.Text);
        Assert.AreEqual(expected.Usage.InputTokenCount, actual.Usage!.InputTokenCount);
    }
}
