using System.Buffers;
using System.Collections.ObjectModel;
using System.Text;

namespace OnnxLlm.Tokenization;

/// <summary>
/// The tokenizer of Hugging Face Qwen2 / Qwen2.5 (and Qwen3) models: byte-level BPE with Qwen2's pre-tokenizer,
/// NFC normalisation and verbatim added tokens such as <c>&lt;|im_start|&gt;</c>, producing the same ids as
/// Hugging Face <c>tokenizers</c>.
/// </summary>
/// <remarks>
/// <para>
/// Encoding first cuts added tokens out of the text (leftmost, then longest match), NFC-normalises each remaining
/// piece, splits it with a code-point-exact implementation of Qwen2's split pattern (<see cref="QwenPreTokenizer"/>)
/// and encodes each resulting piece with byte-level BPE (<see cref="ByteLevelBpe"/>). Both are our own code, so the
/// SDK depends on no tokenizer library (nor on what such libraries pull in, like Google.Protobuf). Decoding concatenates the
/// raw bytes of each token (<see cref="GetTokenBytes"/>) and converts them to text once, replacing invalid UTF-8
/// with U+FFFD exactly as Hugging Face's lossy decoding does, which is also what lets
/// <see cref="StreamingDetokenizer"/> reproduce <see cref="Decode(IEnumerable{int}, bool)"/> piece by piece.
/// </para>
/// <para>Instances are immutable after loading and safe to use from several threads at once.</para>
/// </remarks>
internal sealed class QwenTokenizer
{
    private const string VocabFileName = "vocab.json";
    private const string MergesFileName = "merges.txt";
    private const string TokenizerConfigFileName = "tokenizer_config.json";
    private const string TokenizerJsonFileName = "tokenizer.json";

    private readonly ByteLevelBpe _bpe;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly AddedTokenMatcher _addedTokenMatcher;
    private readonly bool _normalizeNfc;

    // Indexed by id (VocabularySize entries): the token's string form, whether it is special, and its bytes as
    // _tokenBytes[_tokenByteOffsets[id] .. _tokenByteOffsets[id + 1]].
    private readonly string?[] _idToToken;
    private readonly bool[] _isSpecial;
    private readonly byte[] _tokenBytes;
    private readonly int[] _tokenByteOffsets;

    /// <summary>How far beyond twice the token count an id may go (room for sparse added tokens in real vocabularies).</summary>
    private const int MaxIdSlack = 65_536;

    private QwenTokenizer(TokenizerDefinition definition)
    {
        _vocabulary = definition.Vocabulary;
        _normalizeNfc = definition.NormalizeNfc;
        EosToken = definition.EosToken;
        PadToken = definition.PadToken;
        ChatTemplate = definition.ChatTemplate;
        ChatTemplatePath = definition.ChatTemplatePath;

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var addedById = new Dictionary<int, AddedToken>();
        foreach (AddedToken token in definition.AddedTokens)
        {
            added[token.Content] = token.Id;
            addedById[token.Id] = token;
        }

        AddedTokens = new ReadOnlyDictionary<string, int>(added);
        _addedTokenMatcher = new AddedTokenMatcher(addedById.Values);

        int maxId = -1;
        foreach (int id in _vocabulary.Values)
        {
            maxId = Math.Max(maxId, id);
        }

        foreach (int id in addedById.Keys)
        {
            maxId = Math.Max(maxId, id);
        }

        // The id → token tables are sized by the highest id, so a lying id (2,000,000,000 in a ten-token file) must be
        // refused before they are allocated. Hugging Face ids are dense (Qwen2.5: 151,665 tokens, highest id 151,664).
        long tokenCount = _vocabulary.Count + addedById.Count;
        if (maxId >= 2 * tokenCount + MaxIdSlack)
            throw new InvalidDataException(
                $"The tokenizer files ({string.Join(", ", definition.Sources.Select(f => $"'{f}'"))}) give token id {maxId:N0} to one of only " +
                $"{tokenCount:N0} tokens; ids must be dense (below twice the token count plus {MaxIdSlack:N0}).");
        VocabularySize = maxId + 1;
        _idToToken = new string?[VocabularySize];
        _isSpecial = new bool[VocabularySize];
        foreach (KeyValuePair<string, int> entry in _vocabulary)
        {
            _idToToken[entry.Value] = entry.Key;
        }

        foreach (AddedToken token in addedById.Values)
        {
            _idToToken[token.Id] = token.Content;
            _isSpecial[token.Id] = token.Special;
        }

        (_tokenBytes, _tokenByteOffsets) = BuildByteTable(_idToToken, addedById);
        EosTokenId = EosToken is null ? null : TokenToId(EosToken);
        PadTokenId = PadToken is null ? null : TokenToId(PadToken);

        // Throws InvalidDataException naming the merges file when a merge does not fit the vocabulary or repeats.
        _bpe = new ByteLevelBpe(_vocabulary, definition.Merges, definition.MergesSource);
    }

    /// <summary>The added tokens (special or not) by content, e.g. <c>&lt;|im_end|&gt;</c> → 151645.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens { get; }

    /// <summary>One more than the highest token id of the vocabulary and added tokens (151,665 for Qwen2.5).</summary>
    /// <remarks>A model's embedding matrix may be larger (Qwen2.5 pads it to 151,936); ids beyond this decode to nothing.</remarks>
    public int VocabularySize { get; }

    /// <summary>The end-of-sequence token from tokenizer_config.json (<c>&lt;|im_end|&gt;</c> for Qwen2.5-Instruct), or null.</summary>
    public string? EosToken { get; }

    /// <summary>The id of <see cref="EosToken"/>, or null.</summary>
    public int? EosTokenId { get; }

    /// <summary>The padding token from tokenizer_config.json (<c>&lt;|endoftext|&gt;</c> for Qwen2.5), or null.</summary>
    public string? PadToken { get; }

    /// <summary>The id of <see cref="PadToken"/>, or null.</summary>
    public int? PadTokenId { get; }

    /// <summary>The raw Jinja <c>chat_template</c> from tokenizer_config.json, or null when there is none.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The tokenizer_config.json <see cref="ChatTemplate"/> came from (for errors that must name it), or null.</summary>
    public string? ChatTemplatePath { get; }

    /// <summary>
    /// Loads the tokenizer files of a Hugging Face model directory: vocab.json + merges.txt (+ tokenizer_config.json
    /// when present) if both exist, otherwise tokenizer.json (+ tokenizer_config.json when present).
    /// </summary>
    /// <param name="modelDirectory">The model directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">Neither layout is complete; <see cref="FileNotFoundException.FileName"/> is the missing file.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">tokenizer.json describes a tokenizer other than Qwen2's byte-level BPE.</exception>
    public static QwenTokenizer FromDirectory(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        if (!Directory.Exists(modelDirectory))
        {
            throw new DirectoryNotFoundException($"The model directory '{modelDirectory}' does not exist.");
        }

        string vocab = Path.Combine(modelDirectory, VocabFileName);
        string merges = Path.Combine(modelDirectory, MergesFileName);
        string config = Path.Combine(modelDirectory, TokenizerConfigFileName);
        string tokenizerJson = Path.Combine(modelDirectory, TokenizerJsonFileName);
        string? existingConfig = File.Exists(config) ? config : null;

        if (File.Exists(vocab) && File.Exists(merges))
        {
            return FromFiles(vocab, merges, existingConfig);
        }

        if (File.Exists(tokenizerJson))
        {
            return FromTokenizerJson(tokenizerJson, existingConfig);
        }

        string missing = File.Exists(vocab) ? merges : vocab;
        throw new FileNotFoundException(
            $"The model directory '{modelDirectory}' has no tokenizer: '{missing}' does not exist and there is no {TokenizerJsonFileName}.",
            missing);
    }

    /// <summary>Loads the tokenizer from vocab.json, merges.txt and, optionally, tokenizer_config.json.</summary>
    /// <param name="vocabJsonPath">vocab.json: byte-level token → id.</param>
    /// <param name="mergesPath">merges.txt: the BPE merges in priority order.</param>
    /// <param name="tokenizerConfigPath">
    /// tokenizer_config.json, supplying the added tokens (<c>added_tokens_decoder</c>), <see cref="EosToken"/>,
    /// <see cref="PadToken"/> and <see cref="ChatTemplate"/>; without it no added token is recognised.
    /// </param>
    /// <exception cref="FileNotFoundException">A file does not exist; <see cref="FileNotFoundException.FileName"/> names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    public static QwenTokenizer FromFiles(string vocabJsonPath, string mergesPath, string? tokenizerConfigPath)
    {
        ArgumentNullException.ThrowIfNull(vocabJsonPath);
        ArgumentNullException.ThrowIfNull(mergesPath);

        // The slow and fast Qwen2 tokenizers both NFC-normalise text built from vocab.json + merges.txt.
        var definition = new TokenizerDefinition
        {
            Vocabulary = TokenizerFileReader.ReadVocabJson(vocabJsonPath),
            Merges = TokenizerFileReader.ReadMergesTxt(mergesPath),
            MergesSource = mergesPath,
            AddedTokens = [],
            NormalizeNfc = true,
        };
        definition.Sources.AddRange([vocabJsonPath, mergesPath]);
        ApplyConfig(definition, tokenizerConfigPath);
        return new QwenTokenizer(definition);
    }

    /// <summary>Loads the tokenizer from a Hugging Face tokenizer.json and, optionally, tokenizer_config.json.</summary>
    /// <param name="tokenizerJsonPath">tokenizer.json, supplying the vocabulary, merges, normaliser and added tokens.</param>
    /// <param name="tokenizerConfigPath">
    /// tokenizer_config.json, supplying <see cref="EosToken"/>, <see cref="PadToken"/>, <see cref="ChatTemplate"/>
    /// and any added tokens missing from tokenizer.json.
    /// </param>
    /// <exception cref="FileNotFoundException">A file does not exist; <see cref="FileNotFoundException.FileName"/> names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
    /// <exception cref="NotSupportedException">The file describes a tokenizer other than Qwen2's byte-level BPE.</exception>
    public static QwenTokenizer FromTokenizerJson(string tokenizerJsonPath, string? tokenizerConfigPath = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        TokenizerDefinition definition = TokenizerFileReader.ReadTokenizerJson(tokenizerJsonPath);
        definition.Sources.Add(tokenizerJsonPath);
        ApplyConfig(definition, tokenizerConfigPath);
        return new QwenTokenizer(definition);
    }

    private static void ApplyConfig(TokenizerDefinition definition, string? tokenizerConfigPath)
    {
        if (tokenizerConfigPath is null)
        {
            return;
        }

        var (addedTokens, eos, pad, chatTemplate) = TokenizerFileReader.ReadTokenizerConfig(tokenizerConfigPath);
        definition.Sources.Add(tokenizerConfigPath);
        var knownIds = definition.AddedTokens.Select(t => t.Id).ToHashSet();
        definition.AddedTokens.AddRange(addedTokens.Where(t => !knownIds.Contains(t.Id)));
        definition.EosToken = eos;
        definition.PadToken = pad;
        definition.ChatTemplate = chatTemplate;
        definition.ChatTemplatePath = chatTemplate is null ? null : tokenizerConfigPath;
    }

    /// <summary>
    /// Encodes text to token ids. No BOS/EOS is added; added tokens written in the text map to their ids. A lone
    /// (unpaired) surrogate is encoded as U+FFFD.
    /// </summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(text.AsSpan());
    }

    /// <inheritdoc cref="Encode(string)"/>
    public IReadOnlyList<int> Encode(ReadOnlySpan<char> text)
    {
        var ids = new List<int>(Math.Max(4, text.Length / 3));
        int count = 0;
        EncodeCore(text, ids, ref count);
        return ids;
    }

    /// <summary>The number of tokens <see cref="Encode(string)"/> would return, without building the list.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return CountTokens(text.AsSpan());
    }

    /// <inheritdoc cref="CountTokens(string)"/>
    public int CountTokens(ReadOnlySpan<char> text)
    {
        int count = 0;
        EncodeCore(text, null, ref count);
        return count;
    }

    private void EncodeCore(ReadOnlySpan<char> text, List<int>? ids, ref int count)
    {
        while (!text.IsEmpty)
        {
            AddedToken token = default;
            int position = _addedTokenMatcher.IsEmpty ? -1 : _addedTokenMatcher.FindNext(text, out token);
            ReadOnlySpan<char> ordinary = position < 0 ? text : text[..position];
            if (!ordinary.IsEmpty)
            {
                EncodeOrdinary(ordinary, ids, ref count);
            }

            if (position < 0)
            {
                break;
            }

            ids?.Add(token.Id);
            count++;
            text = text[(position + token.Content.Length)..];
        }
    }

    /// <summary>Encodes text containing no added token: NFC, then pre-tokenization and byte-level BPE.</summary>
    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int>? ids, ref int count)
    {
        // A lone surrogate cannot be converted to UTF-8 (nor NFC-normalised: .NET throws), and Hugging Face refuses
        // such strings outright; encode it as U+FFFD instead, which is what any UTF-8 conversion substitutes.
        if (text.IndexOfAnyInRange('\uD800', '\uDFFF') >= 0 && HasLoneSurrogate(text))
        {
            text = ReplaceLoneSurrogates(text);
        }

        // Hugging Face normalises each piece between added tokens, not the whole text; most text is already NFC,
        // so only allocate when it is not.
        if (_normalizeNfc && !text.IsNormalized(NormalizationForm.FormC))
        {
            text = text.ToString().Normalize(NormalizationForm.FormC);
        }

        foreach (ReadOnlySpan<char> piece in QwenPreTokenizer.EnumeratePieces(text))
        {
            count += _bpe.Encode(piece, ids);
        }
    }

    private static bool HasLoneSurrogate(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static string ReplaceLoneSurrogates(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (Rune rune in text.EnumerateRunes())
        {
            // EnumerateRunes yields U+FFFD for each lone surrogate.
            builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Decodes token ids to text. Invalid or incomplete UTF-8 (a multi-byte character cut off by the end of the ids)
    /// becomes U+FFFD, as in Hugging Face. Ids outside the vocabulary are ignored.
    /// </summary>
    /// <param name="ids">The token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens (e.g. <c>&lt;|im_end|&gt;</c>; not <c>&lt;tool_call&gt;</c>, which is not special).</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(256);
        int length = 0;
        try
        {
            foreach (int id in ids)
            {
                AppendTokenBytes(id, skipSpecialTokens, ref buffer, ref length);
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc cref="Decode(IEnumerable{int}, bool)"/>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256, ids.Length * 4));
        int length = 0;
        try
        {
            foreach (int id in ids)
            {
                AppendTokenBytes(id, skipSpecialTokens, ref buffer, ref length);
            }

            return Encoding.UTF8.GetString(buffer, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void AppendTokenBytes(int id, bool skipSpecialTokens, ref byte[] buffer, ref int length)
    {
        if (skipSpecialTokens && IsSpecial(id))
        {
            return;
        }

        ReadOnlySpan<byte> bytes = GetTokenBytes(id);
        if (length + bytes.Length > buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, length + bytes.Length));
            buffer.AsSpan(0, length).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
        }

        bytes.CopyTo(buffer.AsSpan(length));
        length += bytes.Length;
    }

    /// <summary>Creates a decoder for one stream of generated ids; see <see cref="StreamingDetokenizer"/>.</summary>
    public StreamingDetokenizer CreateStreamingDetokenizer(bool skipSpecialTokens = false) => new(this, skipSpecialTokens);

    /// <summary>
    /// The id of a token given in its vocabulary form (byte-level characters, e.g. <c>Ġworld</c> for " world") or an
    /// added token's content; null when there is no such token.
    /// </summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (AddedTokens.TryGetValue(token, out int id) || _vocabulary.TryGetValue(token, out id))
        {
            return id;
        }

        return null;
    }

    /// <summary>The vocabulary form of a token (see <see cref="TokenToId"/>), or null when the id is unknown.</summary>
    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Whether the id is an added token marked special (e.g. <c>&lt;|im_start|&gt;</c>).</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_isSpecial.Length && _isSpecial[id];

    /// <summary>
    /// The raw bytes a token stands for: byte-level BPE characters mapped back to bytes (which may be part of a
    /// multi-byte UTF-8 character), or an added token's UTF-8 text. Empty for unknown ids. Does not allocate.
    /// </summary>
    public ReadOnlySpan<byte> GetTokenBytes(int id)
    {
        if ((uint)id >= (uint)_idToToken.Length)
        {
            return default;
        }

        int start = _tokenByteOffsets[id];
        return _tokenBytes.AsSpan(start, _tokenByteOffsets[id + 1] - start);
    }

    /// <summary>Packs every token's bytes into one array so that <see cref="GetTokenBytes"/> is a slice.</summary>
    private static (byte[] Bytes, int[] Offsets) BuildByteTable(string?[] idToToken, Dictionary<int, AddedToken> addedById)
    {
        var offsets = new int[idToToken.Length + 1];
        int total = 0;
        for (int id = 0; id < idToToken.Length; id++)
        {
            offsets[id] = total;
            string? token = idToToken[id];
            if (token is not null)
            {
                total += addedById.ContainsKey(id) ? Encoding.UTF8.GetByteCount(token) : ByteLevelLength(token);
            }
        }

        offsets[idToToken.Length] = total;
        var bytes = new byte[total];
        for (int id = 0; id < idToToken.Length; id++)
        {
            string? token = idToToken[id];
            if (token is null)
            {
                continue;
            }

            Span<byte> destination = bytes.AsSpan(offsets[id], offsets[id + 1] - offsets[id]);
            if (addedById.ContainsKey(id))
            {
                Encoding.UTF8.GetBytes(token, destination);
            }
            else
            {
                WriteByteLevel(token, destination);
            }
        }

        return (bytes, offsets);
    }

    // Every character of a byte-level vocabulary entry is in the alphabet. Should one not be, the entry stands for
    // its UTF-8 text, which is what Hugging Face's ByteLevel decoder falls back to.
    private static int ByteLevelLength(string token) =>
        IsByteLevel(token) ? token.Length : Encoding.UTF8.GetByteCount(token);

    private static void WriteByteLevel(string token, Span<byte> destination)
    {
        if (!IsByteLevel(token))
        {
            Encoding.UTF8.GetBytes(token, destination);
            return;
        }

        for (int i = 0; i < token.Length; i++)
        {
            destination[i] = (byte)ByteLevelAlphabet.CharToByte(token[i]);
        }
    }

    private static bool IsByteLevel(string token)
    {
        foreach (char c in token)
        {
            if (ByteLevelAlphabet.CharToByte(c) < 0)
            {
                return false;
            }
        }

        return true;
    }
}
