using System.Reflection;
using System.Text.Json;
using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>
/// Byte-for-byte comparison with Qwen3-0.6B's chat template rendered by Jinja2 through transformers 4.51.3's
/// apply_chat_template (tests/TestData/qwen3-chat-template-golden.json): 16 conversations × add_generation_prompt ×
/// enable_thinking unset / true / false. The template uses namespace(), reverse slicing, string methods and
/// <c>is false</c>, and strips earlier turns' reasoning, so it exercises more of the renderer than Qwen2.5's.
/// </summary>
[TestClass]
public sealed class Qwen3ChatTemplateGoldenTests
{
    private static readonly Lazy<JsonDocument> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(TemplateTestHelpers.TestDataPath("qwen3-chat-template-golden.json"))));

    /// <summary>The template as shipped in the qwen3 tokenizer_config.json the test models use.</summary>
    private static readonly Lazy<ChatTemplate> Template = new(() =>
        ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen3", "tokenizer_config.json")));

    public static IEnumerable<object?[]> Cases()
    {
        foreach (JsonElement c in Golden.Value.RootElement.GetProperty("cases").EnumerateArray())
        {
            JsonElement tools = c.GetProperty("tools");
            JsonElement thinking = c.GetProperty("enable_thinking");
            yield return
            [
                c.GetProperty("case").GetString(),
                c.GetProperty("add_generation_prompt").GetBoolean(),
                thinking.ValueKind == JsonValueKind.Null ? null : thinking.GetBoolean(),
                c.GetProperty("messages").GetRawText(),
                tools.ValueKind == JsonValueKind.Null ? null : tools.GetRawText(),
                c.GetProperty("rendered").GetString(),
            ];
        }
    }

    public static string DisplayName(MethodInfo method, object?[] data) =>
        $"{data[0]}/add_generation_prompt={data[1]}/enable_thinking={data[2]?.ToString() ?? "unset"}";

    [TestMethod]
    public void GoldenFileHas96Renderings() => Assert.AreEqual(96, Cases().Count());

    [TestMethod]
    public void TokenizerConfigCarriesTheGoldenTemplate()
    {
        string golden = Golden.Value.RootElement.GetProperty("template").GetString()!;
        using var config = JsonDocument.Parse(File.ReadAllText(TemplateTestHelpers.TestDataPath("tokenizer", "qwen3", "tokenizer_config.json")));
        Assert.AreEqual(golden, config.RootElement.GetProperty("chat_template").GetString());
    }

    [TestMethod]
    [DynamicData(nameof(Cases), DynamicDataDisplayName = nameof(DisplayName))]
    public void RendersExactlyLikeTransformers(string caseName, bool addGenerationPrompt, bool? enableThinking, string messagesJson,
        string? toolsJson, string expected)
    {
        using var messages = JsonDocument.Parse(messagesJson);
        using var tools = toolsJson is null ? null : JsonDocument.Parse(toolsJson);
        // transformers passes the special tokens map as variables, and enable_thinking only when the case sets it.
        var extra = new Dictionary<string, object?> { ["eos_token"] = "<|im_end|>", ["pad_token"] = "<|endoftext|>" };
        if (enableThinking is bool thinking) extra["enable_thinking"] = thinking;
        string actual = Template.Value.Render(
            messages.RootElement.EnumerateArray().Cast<object?>().ToList(),
            tools?.RootElement.EnumerateArray().Cast<object?>().ToList(),
            addGenerationPrompt, extra);
        TemplateTestHelpers.AssertSameText(expected, actual, $"{caseName}/{addGenerationPrompt}/{enableThinking}");
    }
}
