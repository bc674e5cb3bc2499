namespace OnnxLlm.Tests.Templates;

/// <summary>
/// Jinja2 lexer semantics under transformers' environment: trim_blocks + lstrip_blocks, explicit -/+ modifiers,
/// and keep_trailing_newline=False. Expected strings are Jinja2 3.1's documented output.
/// </summary>
[TestClass]
public sealed class WhitespaceControlTests
{
    [TestMethod]
    // trim_blocks: the newline after a block tag is removed; lstrip_blocks: indentation before it too.
    [DataRow("{% if true %}\nhello\n{% endif %}\n", "hello\n")]
    [DataRow("<div>\n    {% if true %}\n    yay\n    {% endif %}\n</div>", "<div>\n    yay\n</div>")]
    [DataRow("  {% if true %}x{% endif %}  y", "x  y")]
    [DataRow("a  {% if true %}x{% endif %}", "a  x")] // not at line start: no lstrip
    [DataRow("{% for i in [1, 2] %}\n  {{ i }}\n{% endfor %}\n", "  1\n  2\n")]
    // Neither applies to {{ }}.
    [DataRow("  {{ 'v' }}\nz", "  v\nz")]
    [DataRow("{{ 'v' }}\n{{ 'w' }}", "v\nw")]
    // Explicit minus strips all whitespace, newlines included, on that side.
    [DataRow("a\n  {%- if true %}b{% endif %}", "ab")]
    [DataRow("{% if true -%}\n   b{% endif %}", "b")]
    [DataRow("a \n {{- 'x' -}} \n b", "axb")]
    [DataRow("{{ 'a' }}   {{- 'b' }}", "ab")]
    // Plus disables lstrip_blocks / trim_blocks for that tag.
    [DataRow("  {%+ if true %}x{% endif %}", "  x")]
    [DataRow("{% if true +%}\nx{% endif %}", "\nx")]
    // Comments behave like blocks for lstrip/trim.
    [DataRow("a\n  {# c #}\nb", "a\nb")]
    [DataRow("a {#- c -#} b", "ab")]
    [DataRow("{# multi\nline #}x", "x")]
    // A single trailing newline of the template is dropped; only one.
    [DataRow("x\n", "x")]
    [DataRow("x\n\n", "x\n")]
    [DataRow("a\r\nb", "a\nb")]
    // raw: content verbatim; the opening tag does not trim its newline (Jinja2 quirk).
    [DataRow("{% raw %}{{ x }}{% if %}{% endraw %}", "{{ x }}{% if %}")]
    [DataRow("{% raw %}\nA\n{% endraw %}\nB", "\nA\nB")]
    // lstrip only strips spaces/tabs when the tag follows them at line start.
    [DataRow("x\n\t {% if true %}y{% endif %}", "x\ny")]
    [DataRow("x\n .{% if true %}y{% endif %}", "x\n .y")]
    public void MatchesJinja2(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    public void TagDelimitersInsideStringsAndDictsDoNotEndTheTag()
    {
        Assert.AreEqual("%}", TemplateTestHelpers.Render("{{ '%}' }}"));
        Assert.AreEqual("}}", TemplateTestHelpers.Render("{{ '}}' }}"));
        Assert.AreEqual("{'a': {'b': 1}}", TemplateTestHelpers.Render("{{ {'a': {'b': 1}} }}"));
    }
}
