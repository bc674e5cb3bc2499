using System.Text;
using Microsoft.ML.Tokenizers;

namespace OnnxLlm.Tokenization;

/// <summary>
/// Qwen2 / Qwen2.5's byte-level BPE tokenizer on Microsoft.ML.Tokenizers: NFC normalization, Qwen's
/// pre-tokenization rule, and added tokens (&lt;|im_start|&gt;, &lt;tool_call&gt;, ...) recognised inside text.
/// Thread-safe.
/// </summary>
public sealed class QwenTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly string?[] _idToToken;
    private readonly byte[][] _tokenBytes;
    private readonly bool[] _special;
    private readonly Dictionary<string, int> _tokenToId;

    private QwenTokenizer(TokenizerFiles files)
    {
        var added = files.AddedTokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        _bpe = BpeTokenizer.Create(new BpeOptions(files.Vocabulary)
        {
            Merges = files.Merges,
            ByteLevel = true,
            Normalizer = new NfcNormalizer(),
            PreTokenizer = QwenPreTokenizer.Create(added),
            SpecialTokens = added,
        });
        AddedTokens = added;
        EosToken = files.EosToken;
        PadToken = files.PadToken;
        ChatTemplate = files.ChatTemplate;

        int size = Math.Max(files.Vocabulary.Values.DefaultIfEmpty(-1).Max(), files.AddedTokens.Select(t => t.Id).DefaultIfEmpty(-1).Max()) + 1;
        VocabularySize = size;
        _idToToken = new string?[size];
        _tokenBytes = new byte[size][];
        _special = new bool[size];
        _tokenToId = new Dictionary<string, int>(files.Vocabulary, StringComparer.Ordinal);
        foreach (var (token, id) in files.Vocabulary)
        {
            _idToToken[id] = token;
            _tokenBytes[id] = ByteLevelAlphabet.ToBytes(token);
        }
        foreach (var token in files.AddedTokens)
        {
            _idToToken[token.Id] = token.Content;
            _tokenBytes[token.Id] = Encoding.UTF8.GetBytes(token.Content);
            _special[token.Id] = token.Special;
            _tokenToId[token.Content] = token.Id;
        }
        for (int i = 0; i < size; i++) _tokenBytes[i] ??= [];
    }

    /// <summary>Loads the tokenizer of a model folder (vocab.json + merges.txt + tokenizer_config.json, or tokenizer.json).</summary>
    /// <exception cref="FileNotFoundException">No tokenizer files (the message names what was looked for).</exception>
    /// <exception cref="InvalidDataException">A file is malformed (named in the message).</exception>
    public static QwenTokenizer FromDirectory(string modelDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        return new QwenTokenizer(TokenizerFiles.FromDirectory(modelDirectory));
    }

    /// <summary>Loads the tokenizer from explicit files.</summary>
    public static QwenTokenizer FromFiles(string vocabJsonPath, string mergesPath, string? tokenizerConfigPath = null) =>
        new(TokenizerFiles.FromFiles(vocabJsonPath, mergesPath, tokenizerConfigPath));

    /// <summary>Loads the tokenizer from a Hugging Face tokenizer.json (and optionally its tokenizer_config.json).</summary>
    public static QwenTokenizer FromTokenizerJson(string tokenizerJsonPath, string? tokenizerConfigPath = null) =>
        new(TokenizerFiles.FromTokenizerJson(tokenizerJsonPath, tokenizerConfigPath));

    /// <summary>Added tokens (content → id), matched verbatim in text.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens { get; }

    /// <summary>Ids 0..VocabularySize-1 (the largest id + 1).</summary>
    public int VocabularySize { get; }

    /// <summary>The end-of-sequence token named by tokenizer_config.json.</summary>
    public string? EosToken { get; }

    /// <summary>The padding token named by tokenizer_config.json.</summary>
    public string? PadToken { get; }

    /// <summary>The chat template (Jinja2 source) from tokenizer_config.json, or null.</summary>
    public string? ChatTemplate { get; }

    /// <summary>Token ids of <paramref name="text"/>; no BOS/EOS is added.</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? [] : _bpe.EncodeToIds(text);
    }

    /// <summary>How many tokens <see cref="Encode"/> would return.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? 0 : _bpe.CountTokens(text);
    }

    /// <summary>The text of a sequence of ids; invalid UTF-8 becomes U+FFFD.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special (control) tokens such as &lt;|im_end|&gt;.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && IsSpecial(id)) continue;
            bytes.AddRange(GetTokenBytes(id));
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <summary>The id of a vocabulary entry or added token, or null.</summary>
    public int? TokenToId(string token) => _tokenToId.TryGetValue(token, out int id) ? id : null;

    /// <summary>The vocabulary entry (byte-level form) or added token of an id, or null.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Whether the id is a special (control) token.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>The UTF-8 bytes a token stands for (a token may hold part of a character). Allocation-free.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside the vocabulary.</exception>
    public ReadOnlySpan<byte> GetTokenBytes(int id)
    {
        if ((uint)id >= (uint)_tokenBytes.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token ids run from 0 to {_tokenBytes.Length - 1}.");
        return _tokenBytes[id];
    }
}
