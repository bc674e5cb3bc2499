using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>Anything the engine does not implement fails loudly with the construct and its position.</summary>
[TestClass]
public sealed class UnsupportedConstructTests
{
    [TestMethod]
    [DataRow("{% include 'other.j2' %}", "include", 1, 4)]
    [DataRow("line one\n  {% extends 'base.j2' %}", "extends", 2, 6)]
    [DataRow("{% import 'm.j2' as m %}", "import", 1, 4)]
    [DataRow("{% from 'm.j2' import x %}", "from", 1, 4)]
    [DataRow("{% block body %}{% endblock %}", "block", 1, 4)]
    [DataRow("{% call m() %}x{% endcall %}", "call", 1, 4)]
    [DataRow("{% do ns.items.append(1) %}", "do", 1, 4)]
    [DataRow("{% frobnicate %}", "frobnicate", 1, 4)]
    [DataRow("{{ x | nosuchfilter }}", "nosuchfilter", 1, 8)]
    [DataRow("{{ x | format('a') }}", "format", 1, 8)]
    [DataRow("\n\n{% if x is nosuchtest %}{% endif %}", "nosuchtest", 3, 12)]
    [DataRow("{% for x in y recursive %}{% endfor %}", "recursive", 1, 15)]
    [DataRow("{{ f(*args) }}", "*args", 1, 6)]
    public void RejectedAtParseTime(string template, string construct, int line, int column)
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.Parse(template));
        StringAssert.Contains(ex.Message, construct);
        Assert.AreEqual(line, ex.Line, ex.Message);
        Assert.AreEqual(column, ex.Column, ex.Message);
        StringAssert.Contains(ex.Message, $"line {line}, column {column}");
    }

    [TestMethod]
    [DataRow("{% if x %}unclosed", "endif")]
    [DataRow("{% for x in y %}", "endfor")]
    [DataRow("{{ 1 + }}", "Unexpected")]
    [DataRow("{% endif %}", "endif")]
    [DataRow("{% else %}", "else")]
    [DataRow("{% break %}", "outside of a loop")]
    [DataRow("{% macro m() %}{% break %}{% endmacro %}", "outside of a loop")]
    [DataRow("{{ 'unterminated }}", "Unterminated string")]
    [DataRow("{{ x", "expected '}}'")]
    [DataRow("{# no end", "comment")]
    [DataRow("{{ x ) }}", "Unexpected ')'")]
    [DataRow("{% set true = 1 %}", "Cannot assign")]
    [DataRow("{{ x is defined is string }}", "chain")]
    public void SyntaxErrorsAreReported(string template, string messagePart)
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.Parse(template));
        StringAssert.Contains(ex.Message, messagePart);
        Assert.IsGreaterThan(0, ex.Line);
    }

    [TestMethod]
    [DataRow("{{ {'a': 1}.pop('a') }}", "dict.pop")]
    [DataRow("{{ 'x'.zfill(3) }}", "str.zfill")]
    [DataRow("{{ [1].sort() }}", "list.sort")]
    [DataRow("{{ '%s' % 1 }}", "printf-style")]
    [DataRow("{{ range }}", "cannot render")]
    [DataRow("{{ [1] | map('upper') | first }}{{ [1] | map('x') | list }}", "No filter named 'x'")]
    [DataRow("{{ strftime_now('%Q') }}", "%Q")]
    [DataRow("{{ joiner() }}", "'joiner' is undefined")]
    [DataRow("{{ {'a': 1}.items() | tojson }}", "dict_items is not JSON serializable")]
    [DataRow("{{ [1] | map('string') | tojson }}", "generator is not JSON serializable")]
    public void UnsupportedAtRenderTimeRaises(string template, string messagePart)
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => TemplateTestHelpers.Render(template));
        StringAssert.Contains(ex.Message, messagePart);
        Assert.AreEqual(1, ex.Line);
    }
}
