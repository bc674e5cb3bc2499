using System.Text.Json;
using OnnxLlm.Constraints.Automaton;
using OnnxLlm.Constraints.Schema;

namespace OnnxLlm.Constraints;

/// <summary>
/// A compiled byte-level grammar (a pushdown automaton over UTF-8 bytes): what a constrained generation may
/// write. Immutable and thread-safe; compile once and pair it with a tokenizer in a
/// <see cref="GrammarTokenMatcher"/>. Create one with <see cref="FromJsonSchema"/>, <see cref="AnyJsonObject"/>
/// or <see cref="AnyJsonValue"/>.
/// </summary>
internal sealed class Grammar
{
    internal Grammar(GrammarNode[] nodes, int root)
    {
        Nodes = nodes;
        Root = root;
    }

    internal GrammarNode[] Nodes { get; }

    internal int Root { get; }

    /// <summary>
    /// Compiles a JSON schema: output is a JSON value valid against it, with no whitespace outside strings
    /// beyond <see cref="JsonGrammarOptions.MaxWhitespace"/> per position.
    /// </summary>
    /// <exception cref="NotSupportedException">The schema uses a keyword or construct the compiler does not support (named with its path).</exception>
    /// <exception cref="ArgumentException">The schema is malformed (e.g. a <c>$ref</c> that does not resolve).</exception>
    public static Grammar FromJsonSchema(JsonElement schema, JsonGrammarOptions? options = null) =>
        JsonSchemaCompiler.Compile(schema, options ?? new JsonGrammarOptions());

    /// <summary>Any JSON object (the <c>json_object</c> response format).</summary>
    public static Grammar AnyJsonObject(JsonGrammarOptions? options = null)
    {
        var builder = new GrammarBuilder();
        return builder.Build(JsonSchemaCompiler.AddAnyObject(builder, options ?? new JsonGrammarOptions()));
    }

    /// <summary>Any JSON value.</summary>
    public static Grammar AnyJsonValue(JsonGrammarOptions? options = null)
    {
        var builder = new GrammarBuilder();
        return builder.Build(JsonSchemaCompiler.AddAnyValue(builder, options ?? new JsonGrammarOptions()));
    }

    /// <summary>True when the grammar accepts exactly <paramref name="utf8"/> (a whole output).</summary>
    public bool Accepts(ReadOnlySpan<byte> utf8)
    {
        var stack = GrammarStack.Start(this);
        foreach (byte b in utf8)
            if (!stack.Feed(this, b)) return false;
        return stack.Depth == 0 || stack.Clone().Feed(this, -1);
    }
}
