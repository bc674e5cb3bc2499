using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Constraints;
using OnnxLlm.Constraints.Automaton;
using OnnxLlm.Constraints.Schema;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tools;

/// <summary>
/// The grammar of one forced tool call in Qwen's format:
/// <c>&lt;tool_call&gt;\n{"name": "&lt;one of the functions&gt;", "arguments": &lt;object valid against that function's schema&gt;}\n&lt;/tool_call&gt;</c>.
/// The name picks the argument schema; the tags are the tokenizer's single added tokens when it has them.
/// </summary>
internal static class ToolCallGrammar
{
    private static readonly JsonSerializerOptions s_names = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the grammar for a call to one of <paramref name="functions"/>.</summary>
    /// <exception cref="ArgumentException">No functions, or two share a name.</exception>
    /// <exception cref="NotSupportedException">A function's parameter schema uses an unsupported keyword (named with its path).</exception>
    public static Grammar Create(IReadOnlyList<AIFunctionDeclaration> functions, QwenTokenizer tokenizer, JsonGrammarOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(functions);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (functions.Count == 0) throw new ArgumentException("At least one function is needed to force a tool call.", nameof(functions));
        options ??= new JsonGrammarOptions();
        var builder = new GrammarBuilder();
        var headers = new List<byte[]>();
        var targets = new List<int>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (!names.Add(function.Name))
                throw new ArgumentException($"Two tools are named '{function.Name}'.", nameof(functions));
            int arguments;
            try
            {
                arguments = JsonSchemaCompiler.AddSchema(builder, function.JsonSchema, options);
            }
            catch (NotSupportedException ex)
            {
                throw new NotSupportedException($"Tool '{function.Name}': {ex.Message}", ex);
            }
            headers.Add(Bytes($"{{\"name\": {JsonSerializer.Serialize(function.Name, s_names)}, \"arguments\": "));
            targets.Add(builder.Add(new SequenceNode([arguments, builder.Add(new LiteralNode(Bytes("}\n"))), Tag(builder, tokenizer, ToolCallFormat.CloseTag)])));
        }
        int choice = builder.Add(new ChoiceNode(headers, targets.ToArray()));
        int root = builder.Add(new SequenceNode([Tag(builder, tokenizer, ToolCallFormat.OpenTag), builder.Add(new LiteralNode(Bytes("\n"))), choice]));
        return builder.Build(root);
    }

    private static int Tag(GrammarBuilder builder, QwenTokenizer tokenizer, string tag) =>
        tokenizer.TokenToId(tag) is int id ? builder.Add(new TokenNode(id)) : builder.Add(new LiteralNode(Bytes(tag)));

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
