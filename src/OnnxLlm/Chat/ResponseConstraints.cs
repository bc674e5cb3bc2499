using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Constraints;
using OnnxLlm.Generation;
using OnnxLlm.Tools;

namespace OnnxLlm.Chat;

/// <summary>
/// Chooses the grammar a request's output must follow: a forced tool call (ToolMode RequireAny /
/// RequireSpecific), a JSON schema (<see cref="ChatResponseFormat.ForJsonSchema(JsonElement, string?, string?)"/>,
/// which <c>GetResponseAsync&lt;T&gt;</c> uses) or any JSON object (<see cref="ChatResponseFormat.Json"/>).
/// Compiled matchers are cached per schema, so their per-state token masks are reused across requests.
/// </summary>
internal sealed class ResponseConstraints(OnnxLlmModel model)
{
    private const int MaxCachedGrammars = 64;
    private readonly ConcurrentDictionary<string, GrammarTokenMatcher> _matchers = new(StringComparer.Ordinal);

    /// <summary>Whether the response should be scanned for tool calls (tools offered and ToolMode not None).</summary>
    public static bool ParsesToolCalls(ChatOptions? options) =>
        options?.Tools is { Count: > 0 } tools && options.ToolMode is not NoneChatToolMode && tools.Any(t => t is AIFunctionDeclaration);

    /// <summary>A constraint for one generation, or null when the output is free text.</summary>
    /// <exception cref="ArgumentException">A required tool is missing, or a schema is malformed.</exception>
    /// <exception cref="NotSupportedException">A schema uses an unsupported keyword.</exception>
    public ILogitsConstraint? Create(ChatOptions? options)
    {
        if (options is null) return null;
        if (options.ToolMode is RequiredChatToolMode required && ParsesToolCalls(options))
        {
            var functions = options.Tools!.OfType<AIFunctionDeclaration>()
                .Where(f => required.RequiredFunctionName is null || f.Name == required.RequiredFunctionName).ToList();
            if (functions.Count == 0)
                throw new ArgumentException($"ChatOptions.ToolMode requires the function '{required.RequiredFunctionName}', which is not in ChatOptions.Tools.", nameof(options));
            var key = new StringBuilder("tools");
            foreach (var f in functions) key.Append('\n').Append(f.Name).Append('\n').Append(f.JsonSchema.GetRawText());
            return Matcher(key.ToString(), () => ToolCallGrammar.Create(functions, model.Tokenizer)).CreateConstraint();
        }
        if (options.ToolMode is RequiredChatToolMode && options.Tools is not { Count: > 0 })
            throw new ArgumentException("ChatOptions.ToolMode requires a tool call but ChatOptions.Tools is empty.", nameof(options));
        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            if (json.Schema is not { } schema)
                return Matcher("json_object", () => Grammar.AnyJsonObject()).CreateConstraint();
            return Matcher("schema\n" + schema.GetRawText(), () => Grammar.FromJsonSchema(schema)).CreateConstraint();
        }
        return null;
    }

    private GrammarTokenMatcher Matcher(string key, Func<Grammar> compile)
    {
        if (_matchers.TryGetValue(key, out var matcher)) return matcher;
        if (_matchers.Count >= MaxCachedGrammars) _matchers.Clear();
        return _matchers.GetOrAdd(key, _ => new GrammarTokenMatcher(compile(), model.Tokenizer, model.StopTokenIds));
    }
}
