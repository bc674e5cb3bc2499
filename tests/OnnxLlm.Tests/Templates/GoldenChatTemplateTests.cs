using System.Reflection;
using System.Text.Json;
using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>
/// Byte-for-byte comparison with renderings produced by Jinja2 3.1.6 through transformers' apply_chat_template
/// for both Qwen2.5 templates (tests/TestData/chat-template-golden.json).
/// </summary>
[TestClass]
public sealed class GoldenChatTemplateTests
{
    private static readonly Lazy<Dictionary<string, ChatTemplate>> Templates = new(() => new()
    {
        ["instruct"] = ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json")),
        ["base"] = ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen2.5", "base", "tokenizer_config.json")),
    });

    public static IEnumerable<object?[]> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TemplateTestHelpers.TestDataPath("chat-template-golden.json")));
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            JsonElement tools = c.GetProperty("tools");
            yield return
            [
                c.GetProperty("template").GetString(),
                c.GetProperty("case").GetString(),
                c.GetProperty("add_generation_prompt").GetBoolean(),
                c.GetProperty("messages").GetRawText(),
                tools.ValueKind == JsonValueKind.Null ? null : tools.GetRawText(),
                c.GetProperty("rendered").GetString(),
            ];
        }
    }

    public static string DisplayName(MethodInfo method, object?[] data) => $"{data[0]}/{data[1]}/add_generation_prompt={data[2]}";

    [TestMethod]
    public void GoldenFileHas36Cases() => Assert.AreEqual(36, Cases().Count());

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(DisplayName))]
    public void RendersExactlyLikeTransformers(string template, string caseName, bool addGenerationPrompt, string messagesJson, string? toolsJson, string expected)
    {
        using var messages = JsonDocument.Parse(messagesJson);
        using var tools = toolsJson is null ? null : JsonDocument.Parse(toolsJson);
        string actual = Templates.Value[template].Render(
            messages.RootElement.EnumerateArray().Cast<object?>().ToList(),
            tools?.RootElement.EnumerateArray().Cast<object?>().ToList(),
            addGenerationPrompt);
        TemplateTestHelpers.AssertSameText(expected, actual, $"{template}/{caseName}/{addGenerationPrompt}");
    }

    [TestMethod]
    public void RendersFromVariablesDictionaryAndClrValues()
    {
        // Same conversation as the golden "system-user" case, but built from plain .NET dictionaries.
        var messages = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "system", ["content"] = "sys" },
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "hi" },
        };
        string actual = Templates.Value["instruct"].Render(new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["tools"] = null,
            ["add_generation_prompt"] = true,
        });
        Assert.AreEqual("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", actual);
    }
}
