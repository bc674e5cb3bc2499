using System.Text;
using Microsoft.ML.Tokenizers;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>
/// Qwen encoding as the SDK did it before it had its own BPE: the same added-token cutting, lone-surrogate replacement
/// and NFC as <see cref="QwenTokenizer"/>, then Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> configured for
/// byte-level BPE with <see cref="QwenPreTokenizer"/>. A peer oracle for <see cref="ByteLevelBpe"/> (tests) and the
/// "before" row of the tokenizer benchmark (linked into OnnxLlm.Benchmarks); the SDK itself no longer references
/// Microsoft.ML.Tokenizers.
/// </summary>
internal sealed class MlTokenizersReference
{
    private readonly BpeTokenizer _bpe;
    private readonly AddedTokenMatcher _addedTokens;
    private readonly bool _normalizeNfc;

    public MlTokenizersReference(Dictionary<string, int> vocabulary, IEnumerable<string> merges, IEnumerable<AddedToken> addedTokens, bool normalizeNfc)
    {
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = QwenSplit.Instance,
        });
        _addedTokens = new AddedTokenMatcher(addedTokens);
        _normalizeNfc = normalizeNfc;
    }

    /// <summary>Configured like <see cref="QwenTokenizer.FromFiles"/> from the same files.</summary>
    public static MlTokenizersReference FromFiles(string vocabJsonPath, string mergesPath, string? tokenizerConfigPath)
    {
        List<AddedToken> added = tokenizerConfigPath is null ? [] : TokenizerFileReader.ReadTokenizerConfig(tokenizerConfigPath).AddedTokens;
        return new MlTokenizersReference(
            TokenizerFileReader.ReadVocabJson(vocabJsonPath), TokenizerFileReader.ReadMergesTxt(mergesPath), added, normalizeNfc: true);
    }

    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        ReadOnlySpan<char> rest = text;
        while (!rest.IsEmpty)
        {
            AddedToken token = default;
            int position = _addedTokens.IsEmpty ? -1 : _addedTokens.FindNext(rest, out token);
            ReadOnlySpan<char> ordinary = position < 0 ? rest : rest[..position];
            if (!ordinary.IsEmpty)
            {
                string piece = ReplaceLoneSurrogates(ordinary);
                if (_normalizeNfc)
                {
                    piece = piece.Normalize(NormalizationForm.FormC);
                }

                ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: true, considerNormalization: false));
            }

            if (position < 0)
            {
                break;
            }

            ids.Add(token.Id);
            rest = rest[(position + token.Content.Length)..];
        }

        return ids;
    }

    private static string ReplaceLoneSurrogates(ReadOnlySpan<char> text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (Rune rune in text.EnumerateRunes())
        {
            builder.Append(rune.ToString()); // EnumerateRunes yields U+FFFD for each lone surrogate.
        }

        return builder.ToString();
    }

    /// <summary>Our pre-tokenizer behind Microsoft.ML.Tokenizers' <see cref="PreTokenizer"/> (what QwenPreTokenizer used to derive from).</summary>
    private sealed class QwenSplit : PreTokenizer
    {
        public static QwenSplit Instance { get; } = new();

        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => PreTokenize(text.AsSpan());

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
        {
            var splits = new List<(int Offset, int Length)>(Math.Max(4, text.Length / 4));
            QwenPreTokenizer.Split(text, splits);
            return splits;
        }
    }
}
