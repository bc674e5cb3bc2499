using System.Text.Json;

namespace OnnxLlm.Tokenization;

/// <summary>
/// What a model folder's tokenizer files say: the byte-level vocabulary, the merges, the added tokens and
/// the tokenizer_config.json settings. Reads vocab.json + merges.txt (+ tokenizer_config.json), or a lone
/// tokenizer.json (Hugging Face tokenizers' single-file format).
/// </summary>
internal sealed record TokenizerFiles
{
    public required IReadOnlyDictionary<string, int> Vocabulary { get; init; }
    public required IReadOnlyList<string> Merges { get; init; }
    public required IReadOnlyList<AddedToken> AddedTokens { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? ChatTemplate { get; init; }

    public static TokenizerFiles FromDirectory(string directory)
    {
        string vocab = Path.Combine(directory, "vocab.json"), merges = Path.Combine(directory, "merges.txt");
        string config = Path.Combine(directory, "tokenizer_config.json"), single = Path.Combine(directory, "tokenizer.json");
        if (File.Exists(vocab) && File.Exists(merges))
            return FromFiles(vocab, merges, File.Exists(config) ? config : null);
        if (File.Exists(single))
            return FromTokenizerJson(single, File.Exists(config) ? config : null);
        throw new FileNotFoundException(
            $"No tokenizer in {directory}: expected vocab.json + merges.txt (with tokenizer_config.json), or tokenizer.json.", vocab);
    }

    public static TokenizerFiles FromFiles(string vocabPath, string mergesPath, string? configPath)
    {
        var vocabulary = ReadJson(vocabPath, root =>
        {
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("expected an object of token → id.");
            return root.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        });
        if (!File.Exists(mergesPath)) throw new FileNotFoundException($"Tokenizer merges not found: {mergesPath}", mergesPath);
        var merges = File.ReadLines(mergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version", StringComparison.Ordinal)).ToArray();
        return WithConfig(new TokenizerFiles { Vocabulary = vocabulary, Merges = merges, AddedTokens = [] }, configPath);
    }

    public static TokenizerFiles FromTokenizerJson(string path, string? configPath)
    {
        var files = ReadJson(path, root =>
        {
            var model = root.GetProperty("model");
            var vocabulary = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
            // Merges are "a b" strings in older files and [a, b] pairs in newer ones.
            var merges = model.GetProperty("merges").EnumerateArray().Select(m => m.ValueKind == JsonValueKind.Array
                ? $"{m[0].GetString()} {m[1].GetString()}" : m.GetString()!).ToArray();
            var added = root.TryGetProperty("added_tokens", out var a)
                ? a.EnumerateArray().Select(t => new AddedToken(t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString()!,
                    t.TryGetProperty("special", out var s) && s.GetBoolean())).ToArray()
                : [];
            return new TokenizerFiles { Vocabulary = vocabulary, Merges = merges, AddedTokens = added };
        });
        return WithConfig(files, configPath);
    }

    private static TokenizerFiles WithConfig(TokenizerFiles files, string? configPath)
    {
        if (configPath is null) return files;
        return ReadJson(configPath, root =>
        {
            var added = files.AddedTokens.ToDictionary(t => t.Id);
            if (root.TryGetProperty("added_tokens_decoder", out var decoder))
                foreach (var entry in decoder.EnumerateObject())
                    added[int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture)] = new AddedToken(
                        int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture),
                        entry.Value.GetProperty("content").GetString()!,
                        entry.Value.TryGetProperty("special", out var s) && s.GetBoolean());
            return files with
            {
                AddedTokens = added.Values.OrderBy(t => t.Id).ToArray(),
                EosToken = TokenText(root, "eos_token"),
                PadToken = TokenText(root, "pad_token"),
                ChatTemplate = Template(root),
            };
        });
    }

    /// <summary>eos_token etc. are a string, null, or an object with "content".</summary>
    private static string? TokenText(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out var c) => c.GetString(),
            _ => null,
        } : null;

    /// <summary>chat_template is a string, or a list of {name, template} of which "default" is the chat one.</summary>
    private static string? Template(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var value)) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind == JsonValueKind.Array)
            foreach (var item in value.EnumerateArray())
                if (item.TryGetProperty("name", out var n) && n.GetString() == "default") return item.GetProperty("template").GetString();
        return null;
    }

    private static T ReadJson<T>(string path, Func<JsonElement, T> read)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file not found: {path}", path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return read(document.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }
}
