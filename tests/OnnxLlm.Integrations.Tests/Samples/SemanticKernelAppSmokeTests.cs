using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Samples;

/// <summary>The Semantic Kernel sample, run for real; its answers must be the direct client's for the same conversations.</summary>
[TestClass]
public sealed class SemanticKernelAppSmokeTests
{
    [TestMethod]
    public async Task PromptFunctionAndChatHistory_AnswerLikeTheClient()
    {
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var (exit, stdout, stderr) = await DotnetProcess.RunAsync(
            DotnetProcess.StartInfo("SemanticKernelApp.dll", "--model", model, "--max-tokens", "6"), TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exit, stderr + stdout);

        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = model });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        var explained = await direct.GetResponseAsync("Explain rainbows to a child in one sentence.", options);
        List<ChatMessage> history = [new(ChatRole.System, "You are a helpful assistant."), new(ChatRole.User, "你好")];
        var first = await direct.GetResponseAsync(history, options);
        history.AddRange([.. first.Messages, new(ChatRole.User, "What can you do?")]);
        var second = await direct.GetResponseAsync(history, options);

        string[] lines = stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.AreEqual(explained.Text, lines[Array.IndexOf(lines, "## Prompt function") + 1], stdout);
        CollectionAssert.Contains(lines, "assistant: " + first.Text, stdout);
        CollectionAssert.Contains(lines, "assistant: " + second.Text, stdout);
    }
}
