using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Hosting;
using OnnxLlm.Runtime;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Readme;

/// <summary>
/// The README's C# snippets, verbatim apart from the model path, compiled and run against the synthetic
/// model, so the documentation cannot drift from the API.
/// </summary>
[TestClass]
public sealed class ReadmeSnippetTests
{
    [TestMethod]
    public async Task QuickStart_Streams()
    {
        string modelPath = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var output = new StringWriter();
        // README "Use it from .NET" (Console.Write → output.Write, plus a token cap for the test):
        using IChatClient client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = modelPath, DefaultMaxOutputTokens = 8 });
        await foreach (var update in client.GetStreamingResponseAsync("Why is the sky blue?"))
            output.Write(update.Text);
        Assert.IsGreaterThan(0, output.ToString().Length);
    }

    [TestMethod]
    public async Task Qwen3Thinking_SwitchAndReasoningContent_CompileAndRun()
    {
        string modelPath = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32);
        var output = new StringWriter();
        using IChatClient client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = modelPath, DefaultMaxOutputTokens = 8 });
        // README "Qwen3 and thinking" (Console.Write → output.Write):
        var direct = new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } }; // no thinking
        await foreach (var update in client.GetStreamingResponseAsync("Why is the sky blue?", direct))
            output.Write(update.Text);
        await foreach (var update in client.GetStreamingResponseAsync("Why is the sky blue?"))
            foreach (var content in update.Contents)
                output.Write(content is TextReasoningContent thought ? $"[{thought.Text}]" : (content as TextContent)?.Text);
        Assert.IsGreaterThan(0, output.ToString().Length);
    }

    [TestMethod]
    public async Task DependencyInjection_ChainsMiddleware()
    {
        string modelPath = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var builder = new { Services = new ServiceCollection(), Configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["OnnxLlm:ModelPath"] = modelPath, ["OnnxLlm:DefaultMaxOutputTokens"] = "4" }).Build() };
        builder.Services.AddLogging();
        // README "With dependency injection":
        builder.Services.AddOnnxLlmChatClient(builder.Configuration.GetSection("OnnxLlm"))
            .UseLogging()
            .UseOpenTelemetry();
        await using var provider = builder.Services.BuildServiceProvider();
        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync("hi");
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
    }

    [TestMethod]
    public async Task ToolCalling_AndStructuredOutput_Compile_AndRun()
    {
        string modelPath = await TestModels.TinyAsync(ExportPrecision.Fp32);
        // README "Tool calling and structured output" (the synthetic model's text is random, so it may or may
        // not call the tool; what is checked is that the pipeline runs and a typed result parses):
        IChatClient client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = modelPath, DefaultMaxOutputTokens = 16 })
            .AsBuilder().UseFunctionInvocation().Build();
        var weather = AIFunctionFactory.Create((string city) => $"Sunny in {city}", "get_weather", "Gets the weather.");
        var answer = await client.GetResponseAsync("Weather in Paris?", new ChatOptions { Tools = [weather] });
        Assert.IsNotNull(answer.FinishReason);

        ChatResponse<Flag> flag = await client.GetResponseAsync<Flag>("Invent a flag.", new ChatOptions { MaxOutputTokens = 64, Seed = 3 });
        Assert.IsTrue(flag.TryGetResult(out var result), flag.Text);
        Assert.IsNotNull(result);
        client.Dispose();
    }

    [TestMethod]
    public async Task CoreMLSnippet_Compiles_AndOffMacFailsClearly()
    {
        string modelPath = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16);
        IChatClient? created = null;
        void Snippet()
        {
            // README "Macs (Apple Silicon) and Core ML" (model path replaced):
            using IChatClient client = new OnnxLlmChatClient(new OnnxLlmOptions
            {
                ModelPath = modelPath,
                ExecutionProvider = ExecutionProvider.CoreML,
                CoreML = { Strict = true }, // fail at load if any node would run on the CPU instead of Core ML
            });
            created = client;
        }
        if (OperatingSystem.IsMacOS())
        {
            Snippet();
            Assert.IsNotNull(created);
        }
        else
        {
            var ex = Assert.ThrowsExactly<PlatformNotSupportedException>(Snippet);
            StringAssert.Contains(ex.Message, "macOS");
        }
    }

    /// <summary>A record with bounded fields: the random model cannot run a free string to the token cap.</summary>
    public sealed record Flag(bool Raised, int Count);
}
