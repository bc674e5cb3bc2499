namespace OnnxLlm.Tokenization;

/// <summary>
/// Everything read from a model's tokenizer files, independent of which file layout it came from
/// (vocab.json + merges.txt + tokenizer_config.json, or tokenizer.json).
/// </summary>
internal sealed class TokenizerDefinition
{
    /// <summary>Byte-level token string → id.</summary>
    public required Dictionary<string, int> Vocabulary { get; init; }

    /// <summary>Merges in priority order, each as "left right".</summary>
    public required List<string> Merges { get; init; }

    /// <summary>The file the merges came from, for error messages.</summary>
    public required string MergesSource { get; init; }

    /// <summary>Every file the definition was read from, for error messages about the files together.</summary>
    public List<string> Sources { get; } = [];

    /// <summary>Tokens matched verbatim in text before BPE.</summary>
    public required List<AddedToken> AddedTokens { get; init; }

    /// <summary>Whether text is NFC-normalised before BPE (Qwen2 does this).</summary>
    public required bool NormalizeNfc { get; init; }

    public string? EosToken { get; set; }

    public string? PadToken { get; set; }

    public string? ChatTemplate { get; set; }

    /// <summary>The file <see cref="ChatTemplate"/> was read from, for error messages.</summary>
    public string? ChatTemplatePath { get; set; }
}
