using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Tests.Tokenization;
using OnnxLlm.Tokenization;
using OnnxLlm.Tools;

namespace OnnxLlm.Tests.Tools;

/// <summary>The &lt;tool_call&gt; parser on canned model text, streamed as the real tokenizer splits it.</summary>
[TestClass]
public sealed class ToolCallStreamParserTests
{
    private const string Single = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>";
    private const string Multiple = "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", \"arguments\": {\"x\": [1, 2]}}\n</tool_call>";

    private static QwenTokenizer Tokenizer => OnnxLlm.Tests.Tokenization.TokenizerTestData.Instruct;

    /// <summary>Feeds text piece by piece (each piece = one token's decoded text) and collects everything.</summary>
    private static List<AIContent> Run(IEnumerable<string> pieces)
    {
        var parser = new ToolCallStreamParser();
        var all = new List<AIContent>();
        foreach (var piece in pieces) all.AddRange(parser.Append(piece));
        all.AddRange(parser.Flush());
        return all;
    }

    private static IEnumerable<string> Tokens(string text)
    {
        var detokenizer = new StreamingDetokenizer(Tokenizer);
        foreach (int id in Tokenizer.Encode(text)) yield return detokenizer.Append(id);
        yield return detokenizer.Flush();
    }

    [TestMethod]
    public void TagsAreSingleAddedTokens()
    {
        var ids = Tokenizer.Encode(Single);
        Assert.Contains(Tokenizer.TokenToId("<tool_call>")!.Value, ids);
        Assert.Contains(Tokenizer.TokenToId("</tool_call>")!.Value, ids);
    }

    [TestMethod]
    public void SingleCall_TextBeforeIt_ThenOneWholeCallWithParsedArguments()
    {
        var contents = Run(Tokens(Single));
        Assert.AreEqual("Let me check.", string.Concat(contents.OfType<TextContent>().Select(t => t.Text)));
        var call = contents.OfType<FunctionCallContent>().Single();
        Assert.IsInstanceOfType<FunctionCallContent>(contents[^1]);
        Assert.AreEqual("get_weather", call.Name);
        Assert.IsNull(call.Exception);
        Assert.AreEqual("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.AreEqual(3, ((JsonElement)call.Arguments["days"]!).GetInt32());
        StringAssert.StartsWith(call.CallId, "call_");
    }

    [TestMethod]
    public void MultipleCalls_InOrder_WithUniqueIds_AndNoWhitespaceText()
    {
        var contents = Run(Tokens(Multiple));
        var calls = contents.OfType<FunctionCallContent>().ToList();
        Assert.HasCount(2, calls);
        Assert.HasCount(2, contents, "only the calls: whitespace between them is not text");
        Assert.AreEqual("a", calls[0].Name);
        Assert.AreEqual("b", calls[1].Name);
        Assert.AreNotEqual(calls[0].CallId, calls[1].CallId);
        Assert.AreEqual(2, ((JsonElement)calls[1].Arguments!["x"]!).GetArrayLength());
    }

    [TestMethod]
    public void SplitAtEveryCharacter_GivesTheSameResult()
    {
        foreach (string text in new[] { Single, Multiple, "plain <tool text> with < and <tool_ca but no call" })
        {
            var whole = Run([text]);
            var split = Run(text.Select(c => c.ToString()));
            Assert.AreEqual(Describe(whole), Describe(split), text);
            Assert.AreEqual(Describe(whole), Describe(Run(Tokens(text))), text);
        }
        Assert.AreEqual("plain <tool text> with < and <tool_ca but no call", Describe(Run(["plain <tool text> with < and <tool_ca but no call"])));
    }

    [TestMethod]
    public void NoPartialJson_EverLeaksAsText()
    {
        var parser = new ToolCallStreamParser();
        foreach (var piece in Tokens(Single))
            foreach (var text in parser.Append(piece).OfType<TextContent>())
                Assert.DoesNotContain("{", text.Text);
    }

    [TestMethod]
    [DataRow("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": }\n</tool_call>", "f")]
    [DataRow("<tool_call>\nnot json at all\n</tool_call>", "unknown")]
    [DataRow("<tool_call>\n{\"arguments\": {}}\n</tool_call>", "unknown")]
    [DataRow("<tool_call>\n{\"name\": \"g\", \"arguments\": [1]}\n</tool_call>", "g")]
    public void MalformedCall_BecomesACallWithException(string text, string expectedName)
    {
        var call = Run(Tokens(text)).OfType<FunctionCallContent>().Single();
        Assert.IsNotNull(call.Exception);
        // A name read before the JSON broke is kept when the parse got that far; otherwise "unknown".
        Assert.IsTrue(call.Name == expectedName || call.Name == "unknown", call.Name);
    }

    [TestMethod]
    public void UnclosedBlockAtTheEnd_IsStillParsed()
    {
        var call = Run(Tokens("<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": \"x\"}}")).OfType<FunctionCallContent>().Single();
        Assert.AreEqual("f", call.Name);
        Assert.IsNull(call.Exception);
    }

    [TestMethod]
    public void ArgumentsAsAJsonString_AreParsed()
    {
        var call = ToolCallParser.Parse("{\"name\": \"f\", \"arguments\": \"{\\\"q\\\": 1}\"}");
        Assert.AreEqual(1, ((JsonElement)call.Arguments!["q"]!).GetInt32());
    }

    /// <summary>Adjacent text pieces merged (streaming may cut text anywhere), calls with their arguments.</summary>
    private static string Describe(IEnumerable<AIContent> contents)
    {
        var parts = new List<string>();
        bool lastWasText = false;
        foreach (var content in contents)
        {
            if (content is TextContent t)
            {
                if (lastWasText) parts[^1] += t.Text; else parts.Add(t.Text);
                lastWasText = true;
                continue;
            }
            lastWasText = false;
            parts.Add(content is FunctionCallContent f ? $"call:{f.Name}:{JsonSerializer.Serialize(f.Arguments)}:{f.Exception is not null}" : content.GetType().Name);
        }
        return string.Join("|", parts);
    }
}
