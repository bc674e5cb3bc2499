using System.Text;
using System.Text.Json;
using OnnxLlm.Constraints;
using OnnxLlm.Constraints.Schema;

namespace OnnxLlm.Tests.Constraints;

/// <summary>The schema compiler and byte-level automaton, without a model.</summary>
[TestClass]
public sealed class GrammarTests
{
    private static Grammar Compile(string schema, JsonGrammarOptions? options = null) =>
        Grammar.FromJsonSchema(JsonDocument.Parse(schema).RootElement, options);

    private static bool Accepts(Grammar grammar, string text) => grammar.Accepts(Encoding.UTF8.GetBytes(text));

    [TestMethod]
    [DataRow("{\"name\":\"Ada\",\"age\":36}", true)]
    [DataRow("{\"name\":\"Ada\"}", true)]
    [DataRow("{ \"name\" : \"Ada\" , \"age\" : 36 }", true)]
    [DataRow("{\"age\":36}", false)] // required name missing
    [DataRow("{\"name\":\"Ada\",\"x\":1}", false)] // undeclared property
    [DataRow("{\"name\":\"Ada\",\"age\":3.5}", false)] // integer
    [DataRow("{\"name\":\"Ada\",}", false)]
    [DataRow("{\"name\":\"A\\\"d\\u00e9\\n\"}", true)]
    [DataRow("{\"name\":\"\\ud800\"}", false)] // lone surrogate escape
    [DataRow("{\"name\":\"Ada\"}   ", false)] // nothing after the value
    [DataRow("{   \"name\":\"Ada\"}", false)] // more whitespace than the bound (2)
    public void Object_RequiredOptionalAndStrings(string text, bool expected)
    {
        var grammar = Compile("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name"]}""");
        Assert.AreEqual(expected, Accepts(grammar, text), text);
    }

    [TestMethod]
    [DataRow("[]", false)]
    [DataRow("[1]", true)]
    [DataRow("[1,-20,0]", true)]
    [DataRow("[1,2,3,4]", false)]
    [DataRow("[01]", false)]
    [DataRow("[1.0]", false)]
    public void ArrayOfIntegers_WithBounds(string text, bool expected)
    {
        var grammar = Compile("""{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":3}""");
        Assert.AreEqual(expected, Accepts(grammar, text), text);
    }

    [TestMethod]
    [DataRow("\"red\"", true)]
    [DataRow("\"green\"", true)]
    [DataRow("\"blue\"", false)]
    [DataRow("1", true)]
    [DataRow("10", true)]
    [DataRow("null", true)]
    public void Enum_WithPrefixValues(string text, bool expected)
    {
        var grammar = Compile("""{"enum":["red","green",1,10,null]}""");
        Assert.AreEqual(expected, Accepts(grammar, text), text);
    }

    [TestMethod]
    [DataRow("-12.5e3", true)]
    [DataRow("0", true)]
    [DataRow("1234567890123456", false)] // more than 15 integer digits
    [DataRow("1.", false)]
    [DataRow("true", false)]
    public void Number(string text, bool expected) => Assert.AreEqual(expected, Accepts(Compile("""{"type":"number"}"""), text), text);

    [TestMethod]
    public void NullableTypesAnyOfRefAndDefs()
    {
        var grammar = Compile("""
            {"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]},"tag":{"type":["string","null"]}},
             "required":["next"],"$defs":{}}
            """);
        Assert.IsTrue(Accepts(grammar, "{\"next\":{\"next\":null,\"tag\":\"x\"},\"tag\":null}"));
        Assert.IsFalse(Accepts(grammar, "{\"next\":{\"tag\":\"x\"}}"));
    }

    [TestMethod]
    public void AnyJsonObject_AcceptsObjectsOnly()
    {
        var grammar = Grammar.AnyJsonObject();
        Assert.IsTrue(Accepts(grammar, "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}"));
        Assert.IsFalse(Accepts(grammar, "[1]"));
    }

    [TestMethod]
    public void StringLengthBounds_CountCharacters()
    {
        var grammar = Compile("""{"type":"string","minLength":2,"maxLength":3}""");
        Assert.IsTrue(Accepts(grammar, "\"é中\""));
        Assert.IsTrue(Accepts(grammar, "\"a\\nb\""));
        Assert.IsFalse(Accepts(grammar, "\"a\""));
        Assert.IsFalse(Accepts(grammar, "\"abcd\""));
    }

    [TestMethod]
    [DataRow("""{"type":"string","pattern":"^a"}""", "pattern", "#")]
    [DataRow("""{"type":"object","properties":{"n":{"type":"integer","minimum":1}}}""", "minimum", "#/properties/n")]
    [DataRow("""{"allOf":[{"type":"string"}]}""", "allOf", "#")]
    public void UnsupportedKeyword_ThrowsNamingKeywordAndPath(string schema, string keyword, string path)
    {
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => Compile(schema));
        StringAssert.Contains(ex.Message, $"'{keyword}'");
        StringAssert.Contains(ex.Message, $"'{path}'");
    }

    [TestMethod]
    public void OverlappingAnyOf_IsNotSupported()
    {
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => Compile("""{"anyOf":[{"type":"object"},{"type":"object","properties":{"a":{"type":"string"}}}]}"""));
        StringAssert.Contains(ex.Message, "overlap");
    }

    [TestMethod]
    public void BadOptions_NameTheOption()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Compile("""{"type":"string"}""", new JsonGrammarOptions { MaxWhitespace = 16 }));
        Assert.AreEqual("MaxWhitespace", ex.ParamName);
    }
}
