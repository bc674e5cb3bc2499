namespace OnnxLlm.Tests.Templates;

/// <summary>Built-in filters, tests and value methods, with Jinja2 3.1 / Python results.</summary>
[TestClass]
public sealed class FilterTests
{
    [TestMethod]
    [DataRow("{{ '  hi  ' | trim }}|{{ 'xxhixx' | trim('x') }}", "hi|hi")]
    [DataRow("{{ 'hello wORLD-foo(bar' | title }}|{{ 'hELLO' | capitalize }}|{{ 'Ab' | upper }}{{ 'Ab' | lower }}", "Hello World-Foo(Bar|Hello|ABab")]
    [DataRow("{{ [1, 2, 3] | join(', ') }}|{{ ['a', none] | join }}|{{ [{'n': 'x'}, {'n': 'y'}] | join('-', attribute='n') }}", "1, 2, 3|aNone|x-y")]
    [DataRow("{{ [1, 2, 3] | first }}{{ [1, 2, 3] | last }}{{ 'abc' | first }}[{{ [] | first }}]", "13a[]")]
    [DataRow("{{ [1, 2] | length }}{{ 'héllo' | count }}{{ {'a': 1} | length }}", "251")]
    [DataRow("{{ none | default('d') }}|{{ none | default('d', true) }}|{{ '' | d('e', boolean=true) }}|{{ missing | d }}|", "None|d|e||")]
    [DataRow("{{ '42' | int + 1 }}|{{ 'x' | int }}|{{ 'x' | int(7) }}|{{ '3.7' | int }}|{{ 3.9 | int }}|{{ ' 12 ' | int }}|{{ '0x1A' | int(0, 16) }}", "43|0|7|3|3|12|26")]
    [DataRow("{{ '2.5' | float }}|{{ 5 | float }}|{{ 'x' | float }}|{{ 5 | string ~ 'a' }}", "2.5|5.0|0.0|5a")]
    [DataRow("{{ 'a-b-c' | replace('-', '+') }}|{{ 'aaa' | replace('a', 'b', 2) }}|{{ 'ab' | replace('', '.') }}", "a+b+c|bba|.a.b.")]
    [DataRow("{{ [1, 2, 3] | reverse | list }}{{ 'abc' | reverse }}", "[3, 2, 1]cba")]
    [DataRow("{{ [3, 1, 2] | sort }}{{ ['b', 'A', 'c'] | sort }}{{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}{{ [1, 3, 2] | sort(reverse=true) }}", "[1, 2, 3]['A', 'b', 'c']['A', 'b', 'c'][3, 2, 1]")]
    [DataRow("{{ [{'n': 2}, {'n': 1}] | sort(attribute='n') | map(attribute='n') | list }}", "[1, 2]")]
    [DataRow("{{ ['b', 'A', 'a', 'b'] | unique | list }}{{ [1, 2, 1] | unique | list }}", "['b', 'A'][1, 2]")]
    [DataRow("{{ [{'n': 'a'}, {'x': 1}] | map(attribute='n', default='?') | join(',') }}|{{ ['a', 'b'] | map('upper') | list }}", "a,?|['A', 'B']")]
    [DataRow("{{ [{'r': 'u'}, {'r': 's'}, {'r': 'u'}] | selectattr('r', 'equalto', 'u') | list | length }}{{ [{'r': 'u'}, {'r': 's'}] | rejectattr('r', '==', 'u') | map(attribute='r') | first }}", "2s")]
    [DataRow("{{ [{'a': 1}, {'b': 2}] | selectattr('a', 'defined') | list }}{{ [0, 1, 2] | select | list }}{{ [1, 2, 3] | reject('odd') | list }}", "[{'a': 1}][1, 2][2]")]
    [DataRow("{{ {'a': 1, 'b': [2]} | items | list }}{{ {'b': 2, 'a': 1} | dictsort }}", "[('a', 1), ('b', [2])][('a', 1), ('b', 2)]")]
    [DataRow("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent('>', blank=true) }}", "a\n  b\n\n  c|  a\n  b|a\n>\n>b")]
    [DataRow("{{ [1, 2, 3] | sum }}|{{ [{'v': 2}, {'v': 3}] | sum(attribute='v') }}|{{ [3, 1, 2] | max }}{{ [3, 1, 2] | min }}|{{ ['B', 'a'] | max }}", "6|5|31|B")]
    [DataRow("{{ -3 | abs }}{{ 2.5 | abs }}|{{ 2.5 | round }}|{{ 3.5 | round }}|{{ 3.14159 | round(2) }}|{{ 2.675 | round(2) }}|{{ 7 | round }}|{{ 2.1 | round(0, 'ceil') }}|{{ 2.9 | round(method='floor') }}", "32.5|2.0|4.0|3.14|2.67|7|3.0|2.0")]
    [DataRow("{{ 'one two  three' | wordcount }}|{{ '<a href=\"x\">&\\'' | e }}|{{ '<b>' | safe }}", "3|&lt;a href=&#34;x&#34;&gt;&amp;&#39;|<b>")]
    [DataRow("{{ {'a': 1} | attr('a') }}|{{ 'x' | attr('upper') is callable }}", "|True")]
    // Lazy filters return one-shot generators, as in Jinja2.
    [DataRow("{% set g = [1, 2] | map('string') %}{{ g | list }}{{ g | list }}{% if [] | select %}truthy{% endif %}", "['1', '2'][]truthy")]
    public void FiltersMatchJinja2(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    [DataRow("{{ 'a' is string }}{{ 1 is string }}{{ {} is mapping }}{{ [] is mapping }}", "TrueFalseTrueFalse")]
    [DataRow("{{ [] is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ missing is iterable }}", "TrueTrueFalseTrue")]
    [DataRow("{{ 'a' is sequence }}{{ {} is sequence }}{{ 1 is sequence }}", "TrueTrueFalse")]
    [DataRow("{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ '1' is number }}", "TrueTrueTrueFalse")]
    [DataRow("{{ true is boolean }}{{ 1 is boolean }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}", "TrueFalseTrueFalseTrueFalse")]
    [DataRow("{{ none is none }}{{ 0 is none }}{{ x is undefined }}{{ x is not defined }}{{ 1 is defined }}", "TrueFalseTrueTrueTrue")]
    [DataRow("{{ 2 is in [1, 2] }}{{ 3 is in [1, 2] }}{{ 'a' is equalto 'a' }}{{ 'a' is eq('b') }}{{ 1 is ne 2 }}", "TrueFalseTrueFalseTrue")]
    [DataRow("{{ 3 is divisibleby 3 }}{{ 4 is even }}{{ 4 is odd }}{{ 1 is integer }}{{ 1.0 is integer }}{{ 1.0 is float }}", "TrueTrueFalseTrueFalseTrue")]
    [DataRow("{{ 3 is gt 2 }}{{ 3 is lessthan 2 }}{{ 2 is ge 2 }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'aB' is lower }}", "TrueFalseTrueTrueTrueFalse")]
    [DataRow("{{ range is callable }}{{ 'upper' is filter }}{{ 'nope' is filter }}{{ 'odd' is test }}{{ none is sameas none }}", "TrueTrueFalseTrueTrue")]
    [DataRow("{{ 1 if x is defined and x else 2 }}{{ 'y' if 'a' is string else 'n' }}", "2y")]
    public void TestsMatchJinja2(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    [DataRow("{{ '  a b  '.strip() }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ '\\n a \\t'.strip() }}", "a b|axx|xxa|a")]
    [DataRow("{{ 'a,b,c'.split(',') }}{{ ' a  b '.split() }}{{ 'a,b,c'.split(',', 1) }}{{ 'a b'.split(none, 0) }}", "['a', 'b', 'c']['a', 'b']['a', 'b,c']['a b']")]
    [DataRow("{{ 'hello'.startswith('he') }}{{ 'hello'.endswith(('x', 'lo')) }}{{ 'hello'.startswith('lo') }}", "TrueTrueFalse")]
    [DataRow("{{ 'Hello'.upper() }}{{ 'Hello'.lower() }}{{ \"they're bill's\".title() }}{{ 'hELLO wORLD'.capitalize() }}", "HELLOhelloThey'Re Bill'SHello world")]
    [DataRow("{{ 'a-b-a'.replace('a', 'x') }}{{ 'a-b-a'.replace('a', 'x', 1) }}{{ 'abcb'.find('b') }}{{ 'abcb'.rfind('b') }}{{ 'abcb'.count('b') }}", "x-b-xx-b-a132")]
    [DataRow("{{ ', '.join(['a', 'b']) }}{{ 'ab\\ncd'.splitlines() }}{{ 'pre_x'.removeprefix('pre_') }}{{ '12'.isdigit() }}{{ ' '.isspace() }}", "a, b['ab', 'cd']xTrueTrue")]
    [DataRow("{{ {'a': 1}.get('a') }}{{ {'a': 1}.get('b', 2) }}{{ {'a': 1}.get('c') }}", "12None")]
    [DataRow("{{ {'a': 1, 'b': 2}.keys() | list }}{{ {'a': 1, 'b': 2}.values() | list }}{{ {'a': 1}.items() | list }}", "['a', 'b'][1, 2][('a', 1)]")]
    [DataRow("{{ [1, 2, 2].index(2) }}{{ [1, 2, 2].count(2) }}", "12")]
    // dict views print like Python's and behave as sized iterables.
    [DataRow("{{ {'a': 1}.items() }}|{{ {'a': 1}.keys() }}|{{ {'a': 1}.values() }}|{{ {'a': 1}.items() | length }}|{{ 'a' in {'a': 1}.keys() }}", "dict_items([('a', 1)])|dict_keys(['a'])|dict_values([1])|1|True")]
    public void MethodsMatchPython(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    [DataRow("{{ {'a': 1, 'b': [1, 2.5, 'x', none, true, false]} | tojson }}", "{\"a\": 1, \"b\": [1, 2.5, \"x\", null, true, false]}")]
    [DataRow("{{ {'a': 1, 'b': [1, 2]} | tojson(indent=2) }}", "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}")]
    [DataRow("{{ {'a': {}, 'b': []} | tojson(indent=4) }}", "{\n    \"a\": {},\n    \"b\": []\n}")]
    [DataRow("{{ [1, [2]] | tojson(indent=0) }}", "[\n1,\n[\n2\n]\n]")]
    [DataRow("{{ [1, 2] | tojson(indent='\\t') }}", "[\n\t1,\n\t2\n]")]
    [DataRow("{{ [1, 2] | tojson(indent=1, separators=(', ', ': ')) }}", "[\n 1, \n 2\n]")] // Python keeps the trailing space
    [DataRow("{{ {'a': 1, 'b': 2} | tojson(separators=(',', ':')) }}", "{\"a\":1,\"b\":2}")]
    [DataRow("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}{{ {'b': 1, 'a': 2} | tojson }}", "{\"a\": 2, \"b\": 1}{\"b\": 1, \"a\": 2}")]
    [DataRow("{{ 'é\"\\\\\\n\\t\\x01<>&\\'😀' | tojson }}", "\"é\\\"\\\\\\n\\t\\u0001<>&'😀\"")]
    [DataRow("{{ 'é😀' | tojson(ensure_ascii=true) }}", "\"\\u00e9\\ud83d\\ude00\"")]
    [DataRow("{{ [1.0, 1e20, 0.1, -0.0, 1e-7] | tojson }}", "[1.0, 1e+20, 0.1, -0.0, 1e-07]")]
    [DataRow("{{ {1: 'a', true: 'b', none: 'c'} | tojson }}", "{\"1\": \"b\", \"null\": \"c\"}")] // 1 and True are the same key
    [DataRow("{{ ('a', 1) | tojson }}{{ '' | tojson }}{{ none | tojson }}", "[\"a\", 1]\"\"null")]
    public void ToJsonMatchesPythonJsonDumps(string template, string expected)
        => Assert.AreEqual(expected, TemplateTestHelpers.Render(template));

    [TestMethod]
    public void ToJsonKeepsInsertionOrderOfInputObjects()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"z": 1, "a": {"y": [1, 2.50, -3e2], "b": null}}""");
        string actual = TemplateTestHelpers.Render("{{ v | tojson }}", new Dictionary<string, object?> { ["v"] = doc.RootElement });
        Assert.AreEqual("{\"z\": 1, \"a\": {\"y\": [1, 2.5, -300.0], \"b\": null}}", actual);
    }
}
