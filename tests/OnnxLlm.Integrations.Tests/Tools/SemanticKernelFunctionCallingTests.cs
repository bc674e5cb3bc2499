using Microsoft.SemanticKernel;
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
}
