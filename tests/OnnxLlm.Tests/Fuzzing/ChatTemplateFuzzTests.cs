using CsCheck;
using System.Text;
using System.Text.Json;
using OnnxLlm.Templates;
using OnnxLlm.Testing.Fuzzing;
using OnnxLlm.Tests.Tokenization;

namespace OnnxLlm.Tests.Fuzzing;

/// <summary>
/// Fuzzes the chat-template engine (lexer, parser, renderer) with hostile templates: each must render or fail with a
/// <see cref="ChatTemplateException"/> — never a stack overflow, a hang or gigabytes of memory (see <see cref="TemplateLimits"/>).
/// </summary>
[TestClass]
public sealed class ChatTemplateFuzzTests
{
    /// <summary>The renderer's own allocation cap, the overshoot of one check interval, and the template's own size.</summary>
    private static long Budget(string template) => TemplateLimits.MaxRenderAllocatedBytes + 256L * 1024 * 1024 + 64L * template.Length;

    private static readonly object?[] Messages =
    [
        new Dictionary<string, object?> { ["role"] = "system", ["content"] = "Be terse." },
        new Dictionary<string, object?> { ["role"] = "user", ["content"] = "What is 2+2?" },
        new Dictionary<string, object?>
        {
            ["role"] = "assistant", ["content"] = "",
            ["tool_calls"] = new object?[] { new Dictionary<string, object?> { ["function"] = new Dictionary<string, object?> { ["name"] = "add", ["arguments"] = new Dictionary<string, object?> { ["a"] = 2 } } } },
        },
        new Dictionary<string, object?> { ["role"] = "tool", ["content"] = "4" },
    ];

    private static readonly object?[] Tools =
    [
        new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = "add", ["parameters"] = new Dictionary<string, object?>() } },
    ];

    private static void ParseAndRender(string source)
    {
        var template = ChatTemplate.Parse(source);
        template.Render(Messages, Tools, addGenerationPrompt: true);
    }

    [TestMethod]
    public void GeneratedTemplates_RenderOrFailWithChatTemplateException()
    {
        FuzzRunner.Check(TemplateGen.Templates, ParseAndRender, ex => ex is ChatTemplateException, null, Budget, t => t);
    }

    [TestMethod]
    public void MutatedQwenTemplate_RendersOrFailsWithChatTemplateException()
    {
        using var config = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.InstructConfigPath));
        byte[] seed = Encoding.UTF8.GetBytes(config.RootElement.GetProperty("chat_template").GetString()!);
        FuzzRunner.Check(HostileGen.Of(seed).Select((byte[] bytes) => Encoding.UTF8.GetString(bytes)), ParseAndRender,
            ex => ex is ChatTemplateException, null, Budget, t => t);
    }
}
