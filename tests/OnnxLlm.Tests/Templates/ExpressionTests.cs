using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>Expression semantics and Python str()/repr() of rendered values.</summary>
[TestClass]
public sealed class ExpressionTests
{
    [TestMethod]
    // Python str() of scalars.
    [DataRow("{{ 1.0 }}", "1.0")]
    [DataRow("{{ 1e20 }}", "1e+20")]
    [DataRow("{{ 1e16 }}", "1e+16")]
    [DataRow("{{ 1e15 }}", "1000000000000000.0")]
    [DataRow("{{ 0.0001 }}", "0.0001")]
    [DataRow("{{ 1e-5 }}", "1e-05")]
    [DataRow("{{ 123456789.123 }}", "123456789.123")]
    [DataRow("{{ 0.1 + 0.2 }}", "0.30000000000000004")]
    [DataRow("{{ 1 / 3 }}", "0.3333333333333333")]
    [DataRow("{{ -2.5 }}", "-2.5")]
    [DataRow("{{ true }}{{ True }}{{ false }}", "TrueTrueFalse")]
    [DataRow("{{ none }}{{ None }}", "NoneNone")]
    [DataRow("{{ 1_000 }}", "1000")]
    // repr() inside containers.
    [DataRow("{{ [1, 'a', none, true, 1.5] }}", "[1, 'a', None, True, 1.5]")]
    [DataRow("{{ {'a': [1, 2], 'b': {'c': none}} }}", "{'a': [1, 2], 'b': {'c': None}}")]
    [DataRow("{{ ('a',) }}{{ (1, 2) }}{{ () }}", "('a',)(1, 2)()")]
    [DataRow("{{ [\"it's\"] }}", "[\"it's\"]")]
    [DataRow("{{ ['a\\nb', 'q\\'\"'] }}", "['a\\nb', 'q\\'\"']")]
    [DataRow("{{ ['é😀'] }}", "['é😀']")]
    [DataRow("{{ 1, 2 }}", "(1, 2)")]
    // String literal escapes (Python unicode-escape).
    [DataRow("{{ 'a\\tb\\\\n' }}", "a\tb\\n")]
    [DataRow("{{ \"\\u00e9\\x41\" }}", "éA")]
    [DataRow("{{ 'keep\\d' }}", "keep\\d")]
    [DataRow("{{ 'a' 'b' }}", "ab")]
    // Arithmetic with Python semantics.
    [DataRow("{{ 10 / 2 }}", "5.0")]
    [DataRow("{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 7 % -3 }}", "3|-4|2|-2")]
    [DataRow("{{ 2 ** 10 }}|{{ 2 ** 3 ** 2 }}", "1024|64")] // Jinja2's ** is left-associative
    [DataRow("{{ 1 + 2 * 3 }}|{{ (1 + 2) * 3 }}|{{ -3 + 1 }}", "7|9|-2")]
    [DataRow("{{ 'ab' * 2 }}{{ [0] * 2 }}", "abab[0, 0]")]
    [DataRow("{{ [1] + [2] }}{{ 'a' + 'b' }}{{ 1 + 1.5 }}{{ true + 1 }}", "[1, 2]ab2.52")]
    [DataRow("{{ 'a' ~ 1 ~ none ~ true ~ missing }}", "a1NoneTrue")]
    // Comparisons, membership, logic.
    [DataRow("{{ 3 > 2 > 1 }}{{ 1 < 2 < 1 }}", "TrueFalse")]
    [DataRow("{{ 1 == 1.0 }}{{ true == 1 }}{{ 'a' != 'a' }}{{ [1, 2] == [1, 2] }}", "TrueTrueFalseTrue")]
    [DataRow("{{ 'b' in 'abc' }}{{ 2 not in [1, 2] }}{{ 'k' in {'k': 1} }}{{ 'x' in missing }}", "TrueFalseTrueFalse")]
    [DataRow("{{ 'a' < 'b' }}{{ [1, 2] < [1, 3] }}", "TrueTrue")]
    [DataRow("{{ none or 'd' }}|{{ 0 and 'x' }}|{{ 1 and 'x' }}|{{ not 0 }}|{{ not not 'a' }}", "d|0|x|True|True")]
    [DataRow("[{{ 'x' if false }}]{{ 'y' if 1 else 'n' }}{{ 'a' if 0 else 'b' if 0 else 'c' }}", "[]yc")]
    [DataRow("{{ -3 | abs }}", "3")] // filters bind to the negated operand
    [DataRow("{{ (1 + 2) | string }}", "3")]
    [DataRow("{{ 'a' + 'b' | upper }}", "aB")] // filters bind tighter than binary operators
    // Slicing.
    [DataRow("{{ 'hello'[1:] }}|{{ 'hello'[::-1] }}|{{ 'abcdef'[4:1:-1] }}|{{ 'abc'[-1] }}", "ello|olleh|edc|c")]
    [DataRow("{{ [1, 2, 3, 4][1:3] }}{{ [1, 2, 3, 4][-2:] }}{{ [1, 2, 3, 4][::2] }}{{ [1, 2, 3][5:] }}{{ [1, 2, 3][:-1] }}", "[2, 3][3, 4][1, 3][][1, 2]")]
    [DataRow("{{ '😀ab'[1:] }}{{ '😀ab'[0] }}{{ '😀ab' | length }}", "ab😀3")] // code points, not UTF-16 units
    // Attribute vs item access.
    [DataRow("{% set d = {'items': 'x', 'k': 'v'} %}{{ d['items'] }}{{ d.k }}{{ d['k'] }}{{ d.items is callable }}", "xvvTrue")]
    [DataRow("{{ [10, 20].1 }}{{ [10, 20][-1] }}", "2020")]
    // Globals.
    [DataRow("{{ range(3) | list }}{{ range(1, 10, 3) | list }}{{ range(3, 0, -1) | list }}", "[0, 1, 2][1, 4, 7][3, 2, 1]")]
    [DataRow("{{ dict(a=1, b='x') }}{{ dict({'c': 2}, d=3) }}", "{'a': 1, 'b': 'x'}{'c': 2, 'd': 3}")]
    [DataRow("{% set ns = namespace(a=1) %}{{ ns.a }}{{ ns.missing is defined }}", "1False")]
    public void RendersLikeJinja2(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    // Default Undefined: empty when printed, falsy, empty when iterated, length 0, equal to another undefined.
    [DataRow("[{{ missing }}]", "[]")]
    [DataRow("{{ missing is defined }}{{ missing is undefined }}{{ missing is not none }}", "FalseTrueTrue")]
    [DataRow("{% if missing %}y{% else %}n{% endif %}", "n")]
    [DataRow("{% for x in missing %}x{% endfor %}|{{ missing | length }}|{{ missing | default('d') }}", "|0|d")]
    [DataRow("[{{ {'a': 1}.b }}][{{ {'a': 1}['b'] is defined }}][{{ [1][5] }}][{{ none.x }}]", "[][False][][]")]
    [DataRow("{{ missing == other_missing }}{{ missing == '' }}", "TrueFalse")]
    [DataRow("{{ missing | upper }}{{ missing | trim }}{{ missing | join(',') }}{{ missing | list }}", "[]")]
    [DataRow("{{ [missing] }}", "[Undefined]")]
    public void UndefinedBehavesLikeJinja2Default(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    [DataRow("{{ missing.attr }}", "'missing' is undefined")]
    [DataRow("{{ missing['k'] }}", "'missing' is undefined")]
    [DataRow("{{ missing + 1 }}", "'missing' is undefined")]
    [DataRow("{{ missing() }}", "'missing' is undefined")]
    [DataRow("{{ {'a': 1}.b.c }}", "'dict object' has no attribute 'b'")]
    [DataRow("{{ missing < 1 }}", "'missing' is undefined")]
    [DataRow("{{ missing | tojson }}", "not JSON serializable")]
    public void UsingUndefinedValueRaises(string template, string expectedMessagePart)
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => TemplateTestHelpers.Render(template));
        StringAssert.Contains(ex.Message, expectedMessagePart);
        Assert.AreEqual(1, ex.Line);
        Assert.IsGreaterThan(0, ex.Column);
    }

    [TestMethod]
    public void RuntimeTypeErrorsCarryPosition()
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => TemplateTestHelpers.Render("line1\n  {{ 'a' + 1 }}"));
        StringAssert.Contains(ex.Message, "can only concatenate str");
        Assert.AreEqual(2, ex.Line);
        Assert.AreEqual(10, ex.Column);
    }

    [TestMethod]
    public void RaiseExceptionSurfacesTheTemplateMessage()
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(
            () => TemplateTestHelpers.Render("{% if true %}{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}"));
        Assert.AreEqual("Conversation roles must alternate user/assistant", ex.Message);
        Assert.AreEqual("Conversation roles must alternate user/assistant", ex.Reason);
        Assert.IsTrue(ex.IsRaisedByTemplate);
        Assert.AreEqual(1, ex.Line);
    }

    [TestMethod]
    public void StrftimeNowUsesInjectedClock()
    {
        var clock = new FixedTimeProvider(new DateTimeOffset(2024, 7, 5, 14, 3, 9, TimeSpan.Zero));
        var template = ChatTemplate.Parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d %B %Y %H:%M:%S %p %A %j') }}").WithTimeProvider(clock);
        Assert.AreEqual("05 Jul 2024|5 July 2024 14:03:09 PM Friday 187", template.Render(new Dictionary<string, object?>()));
    }

    [TestMethod]
    public void VariablesAcceptClrAndJsonValues()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse("""{"a": [1, 2.0, "x", null, true]}""");
        using var doc = System.Text.Json.JsonDocument.Parse("""{"b": 1.5e3}""");
        string actual = TemplateTestHelpers.Render(
            "{{ n.a }}|{{ e.b }}|{{ i + l }}|{{ d }}|{{ m }}|{{ s | list }}|{{ f }}|{{ ro.k }}",
            new Dictionary<string, object?>
            {
                ["n"] = node,
                ["e"] = doc.RootElement,
                ["i"] = 2,
                ["l"] = 3L,
                ["d"] = 2.5m,
                ["m"] = new Dictionary<string, object?> { ["x"] = new[] { 1, 2 } },
                ["s"] = new HashSet<string> { "q" },
                ["f"] = 0.5f,
                ["ro"] = (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?> { ["k"] = 'c' },
            });
        Assert.AreEqual("[1, 2.0, 'x', None, True]|1500.0|5|2.5|{'x': [1, 2]}|['q']|0.5|c", actual);
    }

    [TestMethod]
    public void UnsupportedClrTypeIsRejected()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => TemplateTestHelpers.Render("{{ x }}", new Dictionary<string, object?> { ["x"] = new { A = 1 } }));
        StringAssert.Contains(ex.Message, "'x'");
    }

    [TestMethod]
    public void TemplateMutationsDoNotLeakIntoCallerObjects()
    {
        var list = new List<object?> { 1 };
        string result = TemplateTestHelpers.Render("{{ xs.append(2) }}{{ xs }}", new Dictionary<string, object?> { ["xs"] = list });
        Assert.AreEqual("None[1, 2]", result);
        Assert.HasCount(1, list);
    }
}
