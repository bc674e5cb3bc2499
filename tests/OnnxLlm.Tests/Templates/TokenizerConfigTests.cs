using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>Loading chat templates from tokenizer_config.json (string and list forms) and its error reporting.</summary>
[TestClass]
public sealed class TokenizerConfigTests
{
    public TestContext TestContext { get; set; } = null!;

    private string WriteTemp(string content)
    {
        string dir = Path.Combine(Path.GetTempPath(), "onnxllm-template-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "tokenizer_config.json");
        File.WriteAllText(path, content);
        return path;
    }

    [TestMethod]
    public void LoadsStringFormFromQwenConfigs()
    {
        var instruct = ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json"));
        var baseTemplate = ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen2.5", "base", "tokenizer_config.json"));
        StringAssert.Contains(instruct.Source, "You are Qwen, created by Alibaba Cloud.");
        Assert.IsNull(instruct.Name);
        Assert.IsEmpty(instruct.NamedTemplateSources);
        Assert.AreNotEqual(instruct.Source, baseTemplate.Source);
    }

    [TestMethod]
    public void ListFormPicksDefaultAndExposesOthers()
    {
        string path = WriteTemp("""
            {"chat_template": [
              {"name": "default", "template": "D{{ messages | length }}"},
              {"name": "tool_use", "template": "T{{ tools | length }}"}
            ]}
            """);
        var template = ChatTemplate.FromTokenizerConfig(path);
        Assert.AreEqual("default", template.Name);
        CollectionAssert.AreEquivalent(new[] { "default", "tool_use" }, template.NamedTemplateSources.Keys.ToArray());
        Assert.AreEqual("D2", template.Render(new object?[] { "a", "b" }, null, false));
        var toolUse = template.GetNamedTemplate("tool_use");
        Assert.AreEqual("tool_use", toolUse.Name);
        Assert.AreEqual("T1", toolUse.Render(Array.Empty<object?>(), new object?[] { "t" }, false));
        Assert.AreSame(toolUse, template.GetNamedTemplate("tool_use"));
        Assert.AreSame(template, template.GetNamedTemplate("default"));
        Assert.ThrowsExactly<KeyNotFoundException>(() => template.GetNamedTemplate("rag"));
    }

    [TestMethod]
    public void MissingFileIsReportedWithPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid().ToString("N"), "tokenizer_config.json");
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => ChatTemplate.FromTokenizerConfig(path));
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    [DataRow("{\"model_max_length\": 10}", "has no 'chat_template'")]
    [DataRow("{\"chat_template\": null}", "has no 'chat_template'")]
    [DataRow("{not json", "not valid JSON")]
    [DataRow("{\"chat_template\": 5}", "must be a string or a list")]
    [DataRow("{\"chat_template\": [{\"name\": \"rag\", \"template\": \"x\"}]}", "none named 'default'")]
    [DataRow("{\"chat_template\": [{\"name\": \"default\"}]}", "'name' and 'template'")]
    [DataRow("{\"chat_template\": \"{% include 'x' %}\"}", "include")]
    public void InvalidConfigsNameTheFile(string content, string messagePart)
    {
        string path = WriteTemp(content);
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.FromTokenizerConfig(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, messagePart);
    }

    [TestMethod]
    public void RenderConvenienceSetsTransformersVariables()
    {
        var template = ChatTemplate.Parse(
            "{{ messages | length }}|{{ tools }}|{{ add_generation_prompt }}|{{ documents is defined }}{{ documents }}|{{ bos_token }}|{{ eos_token }}");
        string result = template.Render(
            new object?[] { new Dictionary<string, object?> { ["role"] = "user", ["content"] = "x" } },
            null,
            true,
            new Dictionary<string, object?> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" });
        Assert.AreEqual("1|None|True|TrueNone|<s>|</s>", result);
    }
}
