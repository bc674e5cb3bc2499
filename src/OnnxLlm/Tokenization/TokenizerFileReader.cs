using System.Text.Json;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Reads Hugging Face tokenizer files. Every failure names the file at fault: a missing file raises
/// <see cref="FileNotFoundException"/> and malformed content <see cref="InvalidDataException"/>; a well-formed file
/// describing a tokenizer this reader cannot reproduce exactly raises <see cref="NotSupportedException"/>.
/// </summary>
internal static class TokenizerFileReader
{
    private static readonly JsonReaderOptions s_readerOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    private static readonly JsonDocumentOptions s_documentOptions = new() { CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Reads vocab.json: one JSON object mapping each byte-level token string to its id.</summary>
    public static Dictionary<string, int> ReadVocabJson(string path)
    {
        byte[] json = ReadAllBytes(path, "vocabulary");
        try
        {
            // A streaming reader rather than JsonDocument: the Qwen vocabulary has 151,643 entries and this is the
            // largest part of load time.
            var reader = new Utf8JsonReader(SkipBom(json), s_readerOptions);
            var vocab = new Dictionary<string, int>(capacity: 160_000, StringComparer.Ordinal);
            var tokensById = new Dictionary<int, string>(capacity: 160_000);
            Expect(reader.Read() && reader.TokenType == JsonTokenType.StartObject, path, "expected a JSON object of token → id");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string token = reader.GetString()!;
                Expect(reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int id) && id >= 0,
                    path, $"the id of token '{token}' is not a non-negative 32-bit integer");
                int value = reader.GetInt32();
                ExpectNewId(tokensById, value, token, path, "the vocabulary");
                vocab[token] = value;
            }

            Expect(reader.TokenType == JsonTokenType.EndObject, path, "expected a JSON object of token → id");
            Expect(vocab.Count > 0, path, "the vocabulary is empty");
            return vocab;
        }
        catch (Exception ex) when (IsMalformedJson(ex))
        {
            throw InvalidJson(path, ex);
        }
    }

    /// <summary>Reads merges.txt: an optional "#version" line, then one "left right" pair per line in priority order.</summary>
    public static List<string> ReadMergesTxt(string path)
    {
        EnsureExists(path, "merges");
        var merges = new List<string>(capacity: 160_000);
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new InvalidDataException(
                    $"The merges file '{path}' is malformed at line {lineNumber}: expected two tokens separated by one space, got '{line}'.");
            }

            merges.Add(line);
        }

        return merges;
    }

    /// <summary>
    /// Reads the parts of tokenizer_config.json the tokenizer needs: <c>added_tokens_decoder</c>, <c>eos_token</c>,
    /// <c>pad_token</c> and <c>chat_template</c>.
    /// </summary>
    public static (List<AddedToken> AddedTokens, string? Eos, string? Pad, string? ChatTemplate) ReadTokenizerConfig(string path)
    {
        byte[] json = ReadAllBytes(path, "tokenizer config");
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, s_documentOptions);
            JsonElement root = document.RootElement;
            Expect(root.ValueKind == JsonValueKind.Object, path, "expected a JSON object");

            var added = new List<AddedToken>();
            if (root.TryGetProperty("added_tokens_decoder", out JsonElement decoder) && decoder.ValueKind != JsonValueKind.Null)
            {
                Expect(decoder.ValueKind == JsonValueKind.Object, path, "'added_tokens_decoder' is not an object");
                foreach (JsonProperty entry in decoder.EnumerateObject())
                {
                    Expect(int.TryParse(entry.Name, out int id) && id >= 0, path, $"'added_tokens_decoder' key '{entry.Name}' is not a token id");
                    added.Add(ReadAddedToken(entry.Value, id, path));
                }
            }

            return (added, ReadTokenText(root, "eos_token", path), ReadTokenText(root, "pad_token", path), ReadChatTemplate(root, path));
        }
        catch (Exception ex) when (IsMalformedJson(ex))
        {
            throw InvalidJson(path, ex);
        }
    }

    /// <summary>Reads a Hugging Face tokenizer.json describing a byte-level BPE tokenizer with Qwen2's pre-tokenizer.</summary>
    public static TokenizerDefinition ReadTokenizerJson(string path)
    {
        byte[] json = ReadAllBytes(path, "tokenizer");
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, s_documentOptions);
            JsonElement root = document.RootElement;
            Expect(root.ValueKind == JsonValueKind.Object, path, "expected a JSON object");
            Expect(root.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.Object, path, "missing 'model' object");

            string? type = OptionalString(model, "type", path);
            if (type is not null && type != "BPE")
            {
                throw new NotSupportedException($"The tokenizer file '{path}' has a '{type}' model; only byte-level BPE is supported.");
            }

            foreach (string affix in (ReadOnlySpan<string>)["continuing_subword_prefix", "end_of_word_suffix"])
            {
                if (!string.IsNullOrEmpty(OptionalString(model, affix, path)))
                {
                    throw new NotSupportedException($"The tokenizer file '{path}' sets model.{affix}, which Qwen's byte-level BPE does not use.");
                }
            }

            CheckPreTokenizer(root, path);
            return new TokenizerDefinition
            {
                Vocabulary = ReadModelVocab(model, path),
                Merges = ReadModelMerges(model, path),
                MergesSource = path,
                AddedTokens = ReadAddedTokensArray(root, path),
                NormalizeNfc = ReadNormalizer(root, path),
            };
        }
        catch (Exception ex) when (IsMalformedJson(ex))
        {
            throw InvalidJson(path, ex);
        }
    }

    private static Dictionary<string, int> ReadModelVocab(JsonElement model, string path)
    {
        Expect(model.TryGetProperty("vocab", out JsonElement vocabElement) && vocabElement.ValueKind == JsonValueKind.Object,
            path, "missing 'model.vocab' object");
        var vocab = new Dictionary<string, int>(capacity: 160_000, StringComparer.Ordinal);
        var tokensById = new Dictionary<int, string>(capacity: 160_000);
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
        {
            Expect(entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out int id) && id >= 0,
                path, $"the id of token '{entry.Name}' in 'model.vocab' is not a non-negative 32-bit integer");
            int value = entry.Value.GetInt32();
            ExpectNewId(tokensById, value, entry.Name, path, "'model.vocab'");
            vocab[entry.Name] = value;
        }

        Expect(vocab.Count > 0, path, "'model.vocab' is empty");
        return vocab;
    }

    /// <summary>
    /// Reads <c>model.merges</c>, which tokenizers &lt; 0.20 write as "left right" strings and newer versions as
    /// [left, right] arrays (so that tokens may contain spaces).
    /// </summary>
    private static List<string> ReadModelMerges(JsonElement model, string path)
    {
        Expect(model.TryGetProperty("merges", out JsonElement mergesElement) && mergesElement.ValueKind == JsonValueKind.Array,
            path, "missing 'model.merges' array");
        var merges = new List<string>(mergesElement.GetArrayLength());
        int index = 0;
        foreach (JsonElement merge in mergesElement.EnumerateArray())
        {
            string line;
            if (merge.ValueKind == JsonValueKind.String)
            {
                line = merge.GetString()!;
                int space = line.IndexOf(' ');
                Expect(space > 0 && space < line.Length - 1 && line.IndexOf(' ', space + 1) < 0,
                    path, $"'model.merges[{index}]' (\"{line}\") is not two tokens separated by one space");
            }
            else
            {
                Expect(merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                        && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String,
                    path, $"'model.merges[{index}]' is neither a \"left right\" string nor a [left, right] pair");
                string left = merge[0].GetString()!;
                string right = merge[1].GetString()!;

                // Byte-level vocabularies spell the space byte 'Ġ', so a real space means a different kind of model,
                // and the "left right" form the merges are kept in could not represent it anyway.
                if (left.Length == 0 || right.Length == 0 || left.Contains(' ') || right.Contains(' '))
                {
                    throw new NotSupportedException(
                        $"The tokenizer file '{path}' has merge {index} with an empty token or a token containing a space; byte-level BPE never does.");
                }

                line = string.Concat(left, " ", right);
            }

            merges.Add(line);
            index++;
        }

        return merges;
    }

    private static List<AddedToken> ReadAddedTokensArray(JsonElement root, string path)
    {
        var added = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out JsonElement array) || array.ValueKind == JsonValueKind.Null)
        {
            return added;
        }

        Expect(array.ValueKind == JsonValueKind.Array, path, "'added_tokens' is not an array");
        foreach (JsonElement entry in array.EnumerateArray())
        {
            int id = -1;
            bool valid = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("id", out JsonElement idElement)
                && idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt32(out id) && id >= 0;
            Expect(valid, path, "an 'added_tokens' entry has no valid 'id'");
            added.Add(ReadAddedToken(entry, id, path));
        }

        return added;
    }

    private static AddedToken ReadAddedToken(JsonElement entry, int id, string path)
    {
        string? content = entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("content", out JsonElement contentElement)
            && contentElement.ValueKind == JsonValueKind.String ? contentElement.GetString() : null;
        Expect(!string.IsNullOrEmpty(content), path, $"added token {id} has no 'content' string");
        bool special = entry.TryGetProperty("special", out JsonElement specialElement) && specialElement.ValueKind == JsonValueKind.True;
        return new AddedToken(id, content!, special);
    }

    /// <summary>Qwen2 normalises with NFC; accept exactly that (or nothing), refuse anything else rather than ignore it.</summary>
    private static bool ReadNormalizer(JsonElement root, string path)
    {
        if (!root.TryGetProperty("normalizer", out JsonElement normalizer) || normalizer.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        string? type = OptionalString(normalizer, "type", path);
        if (type == "NFC")
        {
            return true;
        }

        if (type == "Sequence" && normalizer.TryGetProperty("normalizers", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            bool nfc = false;
            foreach (JsonElement item in list.EnumerateArray())
            {
                string? itemType = item.ValueKind == JsonValueKind.Object ? OptionalString(item, "type", path) : null;
                if (itemType != "NFC")
                {
                    throw UnsupportedNormalizer(path, itemType);
                }

                nfc = true;
            }

            return nfc;
        }

        throw UnsupportedNormalizer(path, type);
    }

    private static NotSupportedException UnsupportedNormalizer(string path, string? type) =>
        new($"The tokenizer file '{path}' uses normalizer '{type}'; only NFC (Qwen2's) is supported.");

    /// <summary>
    /// The pre-tokenizer is implemented by hand (see <see cref="QwenPreTokenizer"/>), so refuse files whose split
    /// pattern differs rather than silently tokenizing them differently from Hugging Face.
    /// </summary>
    private static void CheckPreTokenizer(JsonElement root, string path)
    {
        if (root.TryGetProperty("pre_tokenizer", out JsonElement pre) && pre.ValueKind == JsonValueKind.Object)
        {
            IEnumerable<JsonElement> steps = OptionalString(pre, "type", path) == "Sequence"
                && pre.TryGetProperty("pretokenizers", out JsonElement list) && list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray()
                : [pre];
            foreach (JsonElement step in steps)
            {
                if (step.ValueKind == JsonValueKind.Object && OptionalString(step, "type", path) == "Split"
                    && step.TryGetProperty("pattern", out JsonElement pattern) && pattern.ValueKind == JsonValueKind.Object
                    && pattern.TryGetProperty("Regex", out JsonElement regex) && regex.ValueKind == JsonValueKind.String)
                {
                    if (regex.GetString() == QwenPreTokenizer.Pattern)
                    {
                        return;
                    }

                    throw new NotSupportedException(
                        $"The tokenizer file '{path}' splits text with the pattern '{regex.GetString()}'; only Qwen2's pattern is supported.");
                }
            }
        }

        throw new NotSupportedException($"The tokenizer file '{path}' has no Split pre-tokenizer with Qwen2's pattern.");
    }

    /// <summary>Reads a token given either as a string or as a serialised AddedToken object ({"content": ...}).</summary>
    private static string? ReadTokenText(JsonElement root, string name, string path)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object when value.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String
                => content.GetString(),
            _ => throw new InvalidDataException($"The tokenizer config file '{path}' has an invalid '{name}'."),
        };
    }

    /// <summary>
    /// Reads <c>chat_template</c>: a string, or (for models with several templates) a list of {name, template} from
    /// which the one named "default" is taken.
    /// </summary>
    private static string? ReadChatTemplate(JsonElement root, string path)
    {
        if (!root.TryGetProperty("chat_template", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        Expect(value.ValueKind == JsonValueKind.Array, path, "'chat_template' is neither a string nor a list of named templates");
        foreach (JsonElement named in value.EnumerateArray())
        {
            if (named.ValueKind == JsonValueKind.Object && OptionalString(named, "name", path) == "default")
            {
                return OptionalString(named, "template", path);
            }
        }

        return null;
    }

    private static string? OptionalString(JsonElement element, string name, string path)
    {
        if (!element.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Expect(value.ValueKind == JsonValueKind.String, path, $"'{name}' is not a string");
        return value.GetString();
    }

    private static byte[] ReadAllBytes(string path, string kind)
    {
        EnsureExists(path, kind);
        return File.ReadAllBytes(path);
    }

    private static void EnsureExists(string path, string kind)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {kind} file '{path}' does not exist.", path);
        }
    }

    private static ReadOnlySpan<byte> SkipBom(byte[] json) =>
        json.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? json.AsSpan(3) : json;

    private static void Expect(bool condition, string path, string problem)
    {
        if (!condition)
        {
            throw new InvalidDataException($"The file '{path}' is malformed: {problem}.");
        }
    }

    /// <summary>
    /// JSON the parser rejects, or a string in it that is not valid UTF-8 (e.g. an encoded surrogate), which the
    /// parser accepts but cannot transcode when it is read (InvalidOperationException).
    /// </summary>
    private static bool IsMalformedJson(Exception ex) => ex is JsonException or InvalidOperationException;

    private static InvalidDataException InvalidJson(string path, Exception ex) =>
        new($"The file '{path}' is not valid JSON: {ex.Message}", ex);

    /// <summary>
    /// Refuses a second token with an id already taken: the id → token map would keep only one of them, and decoding
    /// that id would be ambiguous.
    /// </summary>
    private static void ExpectNewId(Dictionary<int, string> tokensById, int id, string token, string path, string where)
    {
        if (!tokensById.TryAdd(id, token) && tokensById[id] != token)
            throw new InvalidDataException($"The file '{path}' is malformed: {where} gives id {id} to both '{tokensById[id]}' and '{token}'.");
    }
}
