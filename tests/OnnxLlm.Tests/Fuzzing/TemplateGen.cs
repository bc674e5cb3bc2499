using System.Text;
using CsCheck;

namespace OnnxLlm.Tests.Fuzzing;

/// <summary>
/// Generates hostile Jinja chat templates. A template is decoded from a stream of small integers (each picks the next
/// statement, expression part or size), so CsCheck shrinks a failing template by shortening and lowering the stream:
/// the report is the smallest template that still fails.
/// </summary>
internal static class TemplateGen
{
    private static readonly string[] Atoms =
    [
        "1", "0", "-1", "2**62", "10**9", "1.5", "'x'", "'ab'", "''", "none", "true", "x", "m", "n", "ns.v", "loop.index",
        "messages", "messages[0]", "messages[0]['content']", "messages|length", "tools", "tools[0]", "add_generation_prompt",
        "range(3)", "range(100000)", "range(10**12)", "[1, 2, 3]", "{'a': 1}", "(1, 2)", "'{}'.format(1)", "'%s' % 1",
        "'x' * 10**9", "[1] * 10**9", "'x' * 100000", "'x'.center(10**9)", "'x'.ljust(10**9)", "'x'.zfill(10**9)",
        "'\\t'.expandtabs(10**9)", "'a'|indent(10**9)", "{'a': 1}|tojson(indent=10**9)", "'{:>1000000000}'.format(1)",
        "'a' ~ 'b'", "raise_exception('boom')", "namespace(v=1)", "f(3)", "f(10**6)", "'x'|replace('', 'yy')",
        "messages|map(attribute='content')|join(',')", "strftime_now('%Y')", "x is defined", "'a' in 'abc'",
    ];

    private static readonly string[] BinaryOps = [" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " ~ ", " == ", " and ", " or ", " < ", " in "];

    private static readonly string[] Filters =
    [
        "|length", "|join", "|tojson", "|trim", "|upper", "|list", "|string", "|reverse", "|sort", "|unique", "|first",
        "|last", "|indent(4)", "|replace('a', 'bb')", "|e", "|safe", "|int", "|float", "|round", "|abs", "|items",
        "|dictsort", "|map('upper')", "|select", "|batch(3)", "|center(80)", "|wordwrap(5)", "|truncate(3)", "|count",
        "|default('d')", "|min", "|max", "|sum", "|attr('x')", "|format(1)", "|selectattr('role', 'equalto', 'user')",
    ];

    private static readonly (string Open, string Close)[] Blocks =
    [
        ("{% if EXPR %}", "{% else %}x{% endif %}"), ("{% for x in EXPR %}", "{% endfor %}"), ("{% for n in range(EXPR) %}", "{% endfor %}"),
        ("{% for m in messages %}", "{% endfor %}"), ("{% macro f(n) %}", "{% endmacro %}"), ("{% filter upper %}", "{% endfilter %}"),
        ("{% with x = EXPR %}", "{% endwith %}"), ("{% set x %}", "{% endset %}"), ("{%- generation %}", "{% endgeneration %}"),
    ];

    private static readonly string[] Leaves =
    [
        "{{ EXPR }}", "{% set x = EXPR %}", "{{ f(n - 1) }}{{ f(n - 1) }}", "{% set ns = namespace(v=EXPR) %}", "{% set ns.v = ns.v ~ EXPR %}",
        "text", "{% break %}", "{# comment #}", "{% raw %}{{ raw }}{% endraw %}", "{{- EXPR -}}", "\n", "{% continue %}",
    ];

    /// <summary>Hostile shapes repeated n times: deep nesting and long chains that recursion would not survive.</summary>
    private static readonly Func<int, string>[] Deep =
    [
        n => "{{ " + new string('(', n) + "1" + new string(')', n) + " }}",
        n => "{{ 1" + Repeat("+1", n) + " }}",
        n => "{{ " + Repeat("-", n) + "1 }}",
        n => "{{ " + Repeat("not ", n) + "x }}",
        n => "{{ x" + Repeat(".y", n) + " }}",
        n => "{{ 'x'" + Repeat("|upper", n) + " }}",
        n => "{{ " + Repeat("[", n) + Repeat("]", n) + " }}",
        n => Repeat("{% if true %}", n) + "x" + Repeat("{% endif %}", n),
        n => Repeat("{% for i in range(2) %}", Math.Min(n, 60)) + "x" + Repeat("{% endfor %}", Math.Min(n, 60)),
        n => "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(" + n + ") }}",
        n => "{{ 1 if x else " + Repeat("1 if x else ", n) + "0 }}",
        n => "{% set ns = namespace(s='ab') %}{% for i in range(" + n + ") %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
        n => "{{ " + Repeat("{'a': ", n) + "1" + Repeat("}", n) + " }}",
    ];

    private static string Repeat(string s, int n) => new StringBuilder(s.Length * n).Insert(0, s, n).ToString();

    /// <summary>Templates decoded from integer streams, plus the deep shapes at sizes up to 20,000.</summary>
    public static readonly Gen<string> Templates = Gen.Frequency(
        (4, Gen.Int[0, 1000].Array[1, 60].Select(Decode)),
        (1, Gen.Select(Gen.Int[0, Deep.Length - 1], Gen.Int[1, 20_000], (shape, n) => Deep[shape](n))));

    /// <summary>Turns a choice stream into a template: blocks open and close on a stack, leaves and expressions fill them.</summary>
    public static string Decode(int[] choices)
    {
        var text = new StringBuilder();
        var open = new Stack<string>();
        int i = 0;
        int Next() => i < choices.Length ? choices[i++] : 0;
        while (i < choices.Length)
        {
            int c = Next();
            switch (c % 4)
            {
                case 0:
                    var (o, close) = Blocks[Next() % Blocks.Length];
                    text.Append(o.Replace("EXPR", Expression(Next, 0), StringComparison.Ordinal));
                    open.Push(close);
                    break;
                case 1 when open.Count > 0:
                    text.Append(open.Pop());
                    break;
                default:
                    text.Append(Leaves[Next() % Leaves.Length].Replace("EXPR", Expression(Next, 0), StringComparison.Ordinal));
                    break;
            }
        }
        // Usually close what is open (a valid template that runs); sometimes leave it for the parser to refuse.
        if (choices[0] % 5 != 0)
            while (open.Count > 0) text.Append(open.Pop());
        return text.ToString();
    }

    private static string Expression(Func<int> next, int depth)
    {
        int c = next();
        string atom = Atoms[c % Atoms.Length];
        if (depth >= 3) return atom;
        return (c / Atoms.Length % 4) switch
        {
            0 => atom,
            1 => "(" + Expression(next, depth + 1) + BinaryOps[next() % BinaryOps.Length] + Expression(next, depth + 1) + ")",
            2 => Expression(next, depth + 1) + Filters[next() % Filters.Length],
            _ => "(" + Expression(next, depth + 1) + " if " + Expression(next, depth + 1) + " else " + Expression(next, depth + 1) + ")",
        };
    }
}
