using System.Collections.Concurrent;
using System.Text.Json;

namespace OnnxLlm.Templates;

/// <summary>
/// A parsed Hugging Face chat template (Jinja2), rendered exactly as transformers' <c>apply_chat_template</c> does:
/// a sandboxed Jinja2 environment with <c>trim_blocks</c>, <c>lstrip_blocks</c>, the loopcontrols extension, a
/// <c>json.dumps</c>-based <c>tojson</c> filter and the <c>raise_exception</c> / <c>strftime_now</c> globals.
/// </summary>
/// <remarks>
/// <para>Parse once and reuse: instances are immutable, and <see cref="Render(IReadOnlyDictionary{string, object?})"/>
/// may be called concurrently from any number of threads.</para>
/// <para>Constructs the engine does not implement (e.g. <c>{% include %}</c>, unknown filters or tests) raise
/// <see cref="ChatTemplateException"/> naming the construct and its line/column, at parse time where possible;
/// the engine never silently renders text that differs from Jinja2's.</para>
/// </remarks>
internal sealed class ChatTemplate
{
    private readonly IReadOnlyList<Node> _nodes;
    private readonly IReadOnlyDictionary<string, string> _namedSources;
    private readonly ConcurrentDictionary<string, ChatTemplate> _namedCache;

    private ChatTemplate(string source, IReadOnlyList<Node> nodes, TimeProvider timeProvider, string? name,
        IReadOnlyDictionary<string, string> namedSources, ConcurrentDictionary<string, ChatTemplate> namedCache)
    {
        Source = source;
        _nodes = nodes;
        TimeProvider = timeProvider;
        Name = name;
        _namedSources = namedSources;
        _namedCache = namedCache;
    }

    /// <summary>The Jinja2 source this template was parsed from.</summary>
    public string Source { get; }

    /// <summary>
    /// The template's name when it came from the list form of <c>chat_template</c> (e.g. <c>"default"</c>,
    /// <c>"tool_use"</c>); null for a plain string template.
    /// </summary>
    public string? Name { get; }

    /// <summary>Clock used by the <c>strftime_now(format)</c> global (local time, as in transformers).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>
    /// All templates of a list-form <c>chat_template</c> by name (including the default); empty for a string
    /// template. transformers picks <c>"tool_use"</c> instead of <c>"default"</c> when tools are passed and such a
    /// template exists — use <see cref="GetNamedTemplate"/> to do the same.
    /// </summary>
    public IReadOnlyDictionary<string, string> NamedTemplateSources => _namedSources;

    /// <summary>Parses a Jinja2 chat template.</summary>
    /// <param name="source">Template text.</param>
    /// <exception cref="ChatTemplateException">Syntax error or unsupported construct, with line and column.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(source, TemplateParser.Parse(source), TimeProvider.System, null,
            new Dictionary<string, string>(), new ConcurrentDictionary<string, ChatTemplate>());
    }

    /// <summary>Returns a template sharing this parsed form but reading the clock from <paramref name="timeProvider"/>.</summary>
    public ChatTemplate WithTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new ChatTemplate(Source, _nodes, timeProvider, Name, _namedSources, new ConcurrentDictionary<string, ChatTemplate>());
    }

    /// <summary>Parses (once, then cached) the named template of a list-form <c>chat_template</c>.</summary>
    /// <exception cref="KeyNotFoundException">No template has that name.</exception>
    public ChatTemplate GetNamedTemplate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == Name) return this;
        if (!_namedSources.TryGetValue(name, out string? source))
        {
            throw new KeyNotFoundException($"No chat template named '{name}'. Available: {string.Join(", ", _namedSources.Keys)}.");
        }

        return _namedCache.GetOrAdd(name, n => new ChatTemplate(source, TemplateParser.Parse(source), TimeProvider, n, _namedSources, _namedCache));
    }

    /// <summary>
    /// Loads the chat template from a Hugging Face <c>tokenizer_config.json</c>. <c>chat_template</c> may be a string
    /// or a list of <c>{"name", "template"}</c> objects, in which case the one named <c>"default"</c> is returned
    /// and the others are available through <see cref="NamedTemplateSources"/> / <see cref="GetNamedTemplate"/>.
    /// </summary>
    /// <param name="tokenizerConfigPath">Path to <c>tokenizer_config.json</c>.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="ChatTemplateException">The file is not valid JSON, has no usable <c>chat_template</c>, or the template does not parse.</exception>
    public static ChatTemplate FromTokenizerConfig(string tokenizerConfigPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerConfigPath);
        if (!File.Exists(tokenizerConfigPath))
        {
            throw new FileNotFoundException($"Tokenizer config '{tokenizerConfigPath}' was not found.", tokenizerConfigPath);
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(tokenizerConfigPath), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ChatTemplateException($"Tokenizer config '{tokenizerConfigPath}' is not valid JSON: {ex.Message}", innerException: ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("chat_template", out JsonElement ct)
                || ct.ValueKind == JsonValueKind.Null)
            {
                throw new ChatTemplateException($"Tokenizer config '{tokenizerConfigPath}' has no 'chat_template'.");
            }

            if (ct.ValueKind == JsonValueKind.String)
            {
                return ParseFromFile(ct.GetString()!, tokenizerConfigPath, null, new Dictionary<string, string>());
            }

            if (ct.ValueKind != JsonValueKind.Array)
            {
                throw new ChatTemplateException($"Tokenizer config '{tokenizerConfigPath}': 'chat_template' must be a string or a list of {{name, template}} objects, not {ct.ValueKind}.");
            }

            var named = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonElement item in ct.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out JsonElement n) || n.ValueKind != JsonValueKind.String
                    || !item.TryGetProperty("template", out JsonElement t) || t.ValueKind != JsonValueKind.String)
                {
                    throw new ChatTemplateException($"Tokenizer config '{tokenizerConfigPath}': every 'chat_template' entry needs string 'name' and 'template' properties.");
                }

                named[n.GetString()!] = t.GetString()!;
            }

            if (!named.TryGetValue("default", out string? defaultSource))
            {
                throw new ChatTemplateException($"Tokenizer config '{tokenizerConfigPath}' has chat templates [{string.Join(", ", named.Keys)}] but none named 'default'.");
            }

            return ParseFromFile(defaultSource, tokenizerConfigPath, "default", named);
        }
    }

    private static ChatTemplate ParseFromFile(string source, string path, string? name, IReadOnlyDictionary<string, string> named)
    {
        IReadOnlyList<Node> nodes;
        try
        {
            nodes = TemplateParser.Parse(source);
        }
        catch (ChatTemplateException ex)
        {
            throw new ChatTemplateException($"Chat template in '{path}' is not supported: {ex.Reason}", ex.Line, ex.Column, ex);
        }

        var cache = new ConcurrentDictionary<string, ChatTemplate>();
        var template = new ChatTemplate(source, nodes, TimeProvider.System, name, named, cache);
        if (name is not null) cache[name] = template;
        return template;
    }

    /// <summary>Renders the template with the given variables.</summary>
    /// <param name="variables">
    /// Template variables. Values may be null, string, bool, numbers (int/long/double/decimal…),
    /// <see cref="JsonElement"/> / <see cref="System.Text.Json.Nodes.JsonNode"/>, dictionaries with string keys
    /// (<see cref="IReadOnlyDictionary{TKey, TValue}"/> / <see cref="IDictionary{TKey, TValue}"/>), or sequences of these.
    /// They are copied into the engine's value model, so the template cannot mutate caller objects.
    /// </param>
    /// <returns>The rendered prompt.</returns>
    /// <exception cref="ChatTemplateException">The template failed (including <c>raise_exception</c>).</exception>
    /// <exception cref="ArgumentException">A variable has a .NET type the engine cannot represent.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var converted = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in variables) converted[key] = ValueConverter.FromClr(value, key);
        return new TemplateRenderer(TimeProvider).Render(_nodes, new Scope(converted));
    }

    /// <summary>
    /// Renders a conversation the way <c>tokenizer.apply_chat_template(messages, tools=tools,
    /// add_generation_prompt=...)</c> does: sets <c>messages</c>, <c>tools</c> (None when null),
    /// <c>documents</c> (None unless given in <paramref name="extra"/>) and <c>add_generation_prompt</c>.
    /// </summary>
    /// <param name="messages">Messages, typically dictionaries with <c>role</c>, <c>content</c>, and optionally <c>tool_calls</c>.</param>
    /// <param name="tools">Tool (function) schemas, or null.</param>
    /// <param name="addGenerationPrompt">Whether to append the assistant turn header.</param>
    /// <param name="extra">Further variables, e.g. <c>bos_token</c>, <c>eos_token</c>, <c>enable_thinking</c>.</param>
    public string Render(IEnumerable<object?> messages, IEnumerable<object?>? tools, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal) { ["documents"] = null };
        if (extra is not null)
        {
            foreach (var (key, value) in extra) variables[key] = value;
        }

        variables["messages"] = messages;
        variables["tools"] = tools;
        variables["add_generation_prompt"] = addGenerationPrompt;
        return Render(variables);
    }
}
