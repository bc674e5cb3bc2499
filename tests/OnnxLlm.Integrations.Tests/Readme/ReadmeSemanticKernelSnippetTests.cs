using Microsoft.SemanticKernel;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Readme;

/// <summary>The README's Semantic Kernel snippet, verbatim apart from the model path and the output writer, compiled and run.</summary>
[TestClass]
public sealed class ReadmeSemanticKernelSnippetTests
{
    [TestMethod]
    public async Task SemanticKernelSnippet_Runs()
    {
        string modelPath = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var output = new StringWriter();
        // README "Semantic Kernel" (model path → modelPath, Console → output, max_tokens 256 → 8 for speed):
        var kernel = Kernel.CreateBuilder()
            .AddOnnxLlmChatCompletion(modelPath)
            .Build();
        var settings = new PromptExecutionSettings
        {
            ExtensionData = new Dictionary<string, object> { ["temperature"] = 0.7, ["max_tokens"] = 8 },
        };
        output.WriteLine(await kernel.InvokePromptAsync("Explain {{$topic}} in one sentence.", new(settings) { ["topic"] = "rainbows" }));

        Assert.IsGreaterThan(1, output.ToString().Length);
    }
}
