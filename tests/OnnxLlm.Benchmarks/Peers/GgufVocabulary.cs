using System.Text.Json;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// The byte-level BPE vocabulary of a Hugging Face Qwen2 checkpoint as llama.cpp's "gpt2" tokenizer model wants it,
/// mirroring convert_hf_to_gguf.py's get_vocab_base + gguf.SpecialVocab: one token string per id up to the config's
/// vocab_size (ids no tokenizer file names become "[PADi]", UNUSED), added tokens from tokenizer_config.json typed
/// CONTROL when special and USER_DEFINED otherwise, the merges of merges.txt, and the special token ids.
/// </summary>
internal sealed class GgufVocabulary
{
    // gguf-py constants.TokenType.
    private const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    public required IReadOnlyList<string> Tokens { get; init; }
    public required IReadOnlyList<int> TokenTypes { get; init; }
    public required IReadOnlyList<string> Merges { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    public int? PadId { get; init; }
    public bool? AddBos { get; init; }
    public string? ChatTemplate { get; init; }

    public static GgufVocabulary Load(string checkpoint, int vocabSize, JsonElement config)
    {
        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        using (var vocab = JsonDocument.Parse(File.ReadAllBytes(Required(checkpoint, "vocab.json"))))
            foreach (var entry in vocab.RootElement.EnumerateObject())
                Set(entry.Value.GetInt32(), entry.Name, Normal);

        using var tokenizerConfig = JsonDocument.Parse(File.ReadAllBytes(Required(checkpoint, "tokenizer_config.json")));
        var tc = tokenizerConfig.RootElement;
        var added = new Dictionary<string, int>();
        if (tc.TryGetProperty("added_tokens_decoder", out var decoder))
            foreach (var entry in decoder.EnumerateObject())
            {
                int id = int.Parse(entry.Name);
                string content = entry.Value.GetProperty("content").GetString()!;
                bool special = entry.Value.TryGetProperty("special", out var s) && s.GetBoolean();
                // convert_hf_to_gguf.py's does_token_look_special: Qwen's <|fim_prefix|> etc. are added as not
                // special, yet are control tokens (llama.cpp warns and retypes them otherwise).
                bool looksSpecial = content.StartsWith("<|", StringComparison.Ordinal) && content.EndsWith("|>", StringComparison.Ordinal);
                Set(id, content, special || looksSpecial ? Control : UserDefined);
                added[content] = id;
            }
        for (int i = 0; i < vocabSize; i++)
            if (tokens[i] is null) { tokens[i] = $"[PAD{i}]"; types[i] = Unused; }

        // SpecialVocab reads <type>_token from tokenizer_config.json first, then <type>_token_id from config.json.
        int? Special(string type)
        {
            if (tc.TryGetProperty(type + "_token", out var t))
            {
                string? content = t.ValueKind switch
                {
                    JsonValueKind.String => t.GetString(),
                    JsonValueKind.Object => t.GetProperty("content").GetString(),
                    _ => null,
                };
                if (content is not null && added.TryGetValue(content, out int id)) return id;
            }
            return config.TryGetProperty(type + "_token_id", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetInt32() : null;
        }

        var merges = File.ReadLines(Required(checkpoint, "merges.txt"))
            .Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal)).ToArray();
        return new GgufVocabulary
        {
            Tokens = tokens!,
            TokenTypes = types,
            Merges = merges,
            BosId = Special("bos"),
            EosId = Special("eos"),
            PadId = Special("pad"),
            AddBos = tc.TryGetProperty("add_bos_token", out var b) && b.ValueKind is JsonValueKind.True or JsonValueKind.False ? b.GetBoolean() : null,
            ChatTemplate = tc.TryGetProperty("chat_template", out var ct) && ct.ValueKind == JsonValueKind.String ? ct.GetString() : null,
        };

        void Set(int id, string token, int type)
        {
            if (id < 0 || id >= vocabSize)
                throw new InvalidDataException($"{checkpoint}: token '{token}' has id {id}, outside config.json's vocab_size {vocabSize}.");
            tokens[id] = token;
            types[id] = type;
        }
    }

    public void WriteTo(GgufWriter gguf)
    {
        gguf.AddString("tokenizer.ggml.model", "gpt2");
        gguf.AddString("tokenizer.ggml.pre", "qwen2");
        gguf.AddStringArray("tokenizer.ggml.tokens", Tokens);
        gguf.AddInt32Array("tokenizer.ggml.token_type", TokenTypes);
        gguf.AddStringArray("tokenizer.ggml.merges", Merges);
        if (BosId is int bos) gguf.AddUInt32("tokenizer.ggml.bos_token_id", (uint)bos);
        if (EosId is int eos) gguf.AddUInt32("tokenizer.ggml.eos_token_id", (uint)eos);
        if (PadId is int pad) gguf.AddUInt32("tokenizer.ggml.padding_token_id", (uint)pad);
        if (AddBos is bool addBos) gguf.AddBool("tokenizer.ggml.add_bos_token", addBos);
        if (ChatTemplate is not null) gguf.AddString("tokenizer.chat_template", ChatTemplate);
    }

    private static string Required(string checkpoint, string file)
    {
        string path = Path.Combine(checkpoint, file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{checkpoint}: {file} is missing (the GGUF needs the tokenizer's files).", path);
    }
}
