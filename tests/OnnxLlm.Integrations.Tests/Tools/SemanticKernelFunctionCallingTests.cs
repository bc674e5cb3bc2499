using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Tools;

/// <summary>
/// Semantic Kernel's function calling over OnnxLlm's IChatClient: a required function choice forces the model
/// (through constrained decoding) to call the kernel function, and SK invokes it with the parsed arguments.
/// </summary>
[TestClass]
public sealed class SemanticKernelFunctionCallingTests
{
    [TestMethod]
    public async Task RequiredFunctionChoice_InvokesTheKernelFunction_WithParsedArguments()
    {
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var calls = new List<int>();
        var builder = Kernel.CreateBuilder();
        builder.AddOnnxLlmChatClient(model, configure: o => { o.IntraOpThreads = 1; o.DefaultMaxOutputTokens = 8; });
        builder.Plugins.AddFromFunctions("dice", [KernelFunctionFactory.CreateFromMethod(
            (int sides) => { calls.Add(sides); return $"rolled {Math.Max(1, sides / 2)}"; }, "roll", "Rolls a die with the given number of sides.")]);
        var kernel = builder.Build();

        var settings = new PromptExecutionSettings
        {
            FunctionChoiceBehavior = FunctionChoiceBehavior.Required(),
            ExtensionData = new Dictionary<string, object> { ["seed"] = 4, ["max_tokens"] = 48 },
        };
        var result = await kernel.InvokePromptAsync("Roll a die.", new KernelArguments(settings));

        Assert.IsNotEmpty(calls, "the forced call must reach the kernel function");
        Assert.IsNotNull(result.ToString());
    }

    /// <summary>
    /// FunctionChoiceBehavior.Auto: the model (scripted text in place of the random synthetic weights, since only a
    /// trained model chooses to call) answers with a tool call; SK invokes the kernel function, the result goes back
    /// through the model's template as a tool turn, and the model's final answer is what the prompt returns.
    /// </summary>
    [TestMethod]
    public async Task AutoFunctionChoice_RoundTrip_ThroughTheTemplate()
    {
        using var model = OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        var script = new ScriptedGeneration(model.Tokenizer,
            "<tool_call>\n{\"name\": \"dice_roll\", \"arguments\": {\"sides\": 20}}\n</tool_call>",
            "You rolled a 10.");
        using var inner = new OnnxLlmChatClient(model) { GenerateOverride = script.GenerateAsync };
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatClient>(inner.AsBuilder().UseKernelFunctionInvocation().Build());
        var calls = new List<int>();
        builder.Plugins.AddFromFunctions("dice", [KernelFunctionFactory.CreateFromMethod(
            (int sides) => { calls.Add(sides); return $"rolled {sides / 2}"; }, "roll", "Rolls a die with the given number of sides.")]);
        var kernel = builder.Build();

        var result = await kernel.InvokePromptAsync("Roll a d20.", new KernelArguments(new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() }));

        CollectionAssert.AreEqual(new[] { 20 }, calls, script.Prompts[0]);
        Assert.AreEqual("You rolled a 10.", result.ToString());
        Assert.HasCount(2, script.Prompts);
        StringAssert.Contains(script.Prompts[0], "\"name\": \"dice_roll\"", "the kernel function is offered through the template's tools");
        StringAssert.Contains(script.Prompts[1], "<tool_response>\nrolled 10\n</tool_response>");
    }
}
