using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>Statements: for/loop variables, break/continue, set scoping, namespace, macros, set/filter blocks, with.</summary>
[TestClass]
public sealed class StatementTests
{
    [TestMethod]
    [DataRow("{% for x in ['a', 'b', 'c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }};{% endfor %}",
        "10TrueFalse332;21FalseFalse321;32FalseTrue310;")]
    [DataRow("{% for x in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}", "-2,1-3,2-,")]
    [DataRow("{% for x in range(6) if x is odd %}{{ x }}{{ loop.length }}{{ loop.last }} {% endfor %}", "13False 33False 53True ")]
    [DataRow("{% for x in [] %}x{% else %}empty{% endfor %}", "empty")]
    [DataRow("{% for x in [0] if x %}x{% else %}none kept{% endfor %}", "none kept")]
    [DataRow("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [DataRow("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}{% for c in 'hé' %}[{{ c }}]{% endfor %}", "ab[h][é]")]
    [DataRow("{% for (a, b) in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}", "37")]
    [DataRow("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}", "013")]
    [DataRow("{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba")]
    [DataRow("{% for i in [1, 2] %}{% for j in [3, 4] %}{{ loop.index }}{% endfor %}{{ loop.index }}{% endfor %}", "121122")]
    // Assignments inside a loop body do not leak out (hence namespace()).
    [DataRow("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "21")]
    [DataRow("{% set ns = namespace(found=false, n=0) %}{% for i in [1, 2, 3] %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.found }}{{ ns.n }}", "True6")]
    [DataRow("{% if true %}{% set y = 'in-if' %}{% endif %}{{ y }}", "in-if")] // if shares the frame
    [DataRow("{% set a, b = 1, 2 %}{{ b }}{{ a }}", "21")]
    [DataRow("{% set x %}hello {{ 'w' }}{% endset %}[{{ x }}]", "[hello w]")]
    [DataRow("{% set x | upper | trim %} ab {% endset %}[{{ x }}]", "[AB]")]
    [DataRow("{% filter upper %}ab{{ 'c' }}{% endfilter %}", "ABC")]
    [DataRow("{% with a = 5, b = 6 %}{{ a }}{{ b }}{% endwith %}[{{ a }}]", "56[]")]
    [DataRow("{% if 0 %}a{% elif '' %}b{% elif [1] %}c{% else %}d{% endif %}", "c")]
    [DataRow("{% generation %}kept{% endgeneration %}", "kept")]
    // Macros.
    [DataRow("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }}", "Hello, Bob! Hi, Al!")]
    [DataRow("{% macro m(a, b) %}[{{ b }}]{% endmacro %}{{ m(1) }}", "[]")]
    [DataRow("{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(4) }}", "8")]
    [DataRow("{% macro m() %}{{ varargs | length }}{{ kwargs }}{% endmacro %}{{ m(1, 2, k=3) }}", "2{'k': 3}")]
    [DataRow("{% macro fact(n) %}{% if n > 1 %}{{ n * fact(n - 1) | int }}{% else %}1{% endif %}{% endmacro %}{{ fact(5) }}", "120")]
    [DataRow("{% set g = 'global' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}", "global")]
    [DataRow("{% macro m(x) %}<{{ x }}>{% endmacro %}{% for i in [1, 2] %}{{ m(i) }}{% endfor %}", "<1><2>")]
    // list.append works on namespace-held lists (plain Jinja2 semantics).
    [DataRow("{% set ns = namespace(items=[]) %}{% for i in range(3) %}{{ ns.items.append(i * 10) or '' }}{% endfor %}{{ ns.items }}", "[0, 10, 20]")]
    public void RendersLikeJinja2(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    [DataRow("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", "takes not more than 1")]
    [DataRow("{% macro m(a) %}{% endmacro %}{{ m(b=1) }}", "no keyword argument 'b'")]
    [DataRow("{% set x = 1 %}{% set x.a = 2 %}", "non-namespace")]
    [DataRow("{% for a, b in [[1, 2, 3]] %}{% endfor %}", "too many values to unpack")]
    [DataRow("{% for x in 5 %}{% endfor %}", "'int' object is not iterable")]
    [DataRow("{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", "recursed")]
    public void RuntimeErrorsAreReported(string template, string messagePart)
    {
        var ex = Assert.ThrowsExactly<ChatTemplateException>(() => TemplateTestHelpers.Render(template));
        StringAssert.Contains(ex.Message, messagePart);
    }
}
