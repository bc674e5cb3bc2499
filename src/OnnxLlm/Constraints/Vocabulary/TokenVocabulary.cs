using OnnxLlm.Constraints;
using System.Runtime.CompilerServices;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Constraints.Vocabulary;

/// <summary>
/// A tokenizer's vocabulary prepared for masking, built once per tokenizer (cached): every token's bytes, the
/// byte trie of ordinary tokens, and the string-body tables that make the most common state — inside a JSON
/// string, where most of the vocabulary is allowed — cheap. Added tokens (&lt;|im_end|&gt;, &lt;tool_call&gt;)
/// are never part of the trie: inside a string their text would be allowed while the engine treats them as
/// control tokens. A grammar allows them only by id.
/// </summary>
internal sealed class TokenVocabulary
{
    private static readonly ConditionalWeakTable<QwenTokenizer, TokenVocabulary> s_cache = new();

    private readonly byte[][] _bytes;
    private readonly bool[] _ordinary;
    private readonly byte[] _pureValidFrom; // bit p: a pure string-body token, valid UTF-8 continuing from p pending bytes
    private readonly byte[] _charCount; // characters started by a pure body token (capped at 255)
    private readonly Dictionary<(int Pending, int Remaining), ulong[]> _bodyMasks = [];
    private readonly Lock _lock = new();

    private TokenVocabulary(QwenTokenizer tokenizer)
    {
        Size = tokenizer.VocabularySize;
        _bytes = new byte[Size][];
        _ordinary = new bool[Size];
        var ordinary = new List<(int, byte[])>(Size);
        var added = new HashSet<int>(tokenizer.AddedTokens.Values);
        for (int id = 0; id < Size; id++)
        {
            _bytes[id] = tokenizer.GetTokenBytes(id).ToArray();
            if (added.Contains(id) || _bytes[id].Length == 0) continue;
            ordinary.Add((id, _bytes[id]));
            _ordinary[id] = true;
        }
        Trie = new TokenTrie(ordinary);

        _pureValidFrom = new byte[Size];
        _charCount = new byte[Size];
        var breaking = new List<int>();
        foreach (var (id, bytes) in ordinary)
        {
            int first = bytes.AsSpan().IndexOfAny((byte)'"', (byte)'\\');
            int control = IndexOfControl(bytes);
            if (first < 0 && control < 0)
            {
                for (int p = 0; p < 4; p++)
                    if (ValidUtf8From(bytes, p)) _pureValidFrom[id] |= (byte)(1 << p);
                _charCount[id] = (byte)Math.Min(255, bytes.Count(b => b is < 0x80 or >= 0xC0));
            }
            else if (first >= 0 && (control < 0 || control > first))
            {
                breaking.Add(id); // leaves (or escapes within) the string: checked against the grammar each time
            }
            // else: a raw control byte comes first, which no JSON string allows
        }
        StringBreakingTokens = breaking.ToArray();
    }

    /// <summary>The prepared vocabulary of <paramref name="tokenizer"/> (built on first use, then shared).</summary>
    public static TokenVocabulary For(QwenTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return s_cache.GetValue(tokenizer, t => new TokenVocabulary(t));
    }

    /// <summary>Token ids 0..Size-1.</summary>
    public int Size { get; }

    public TokenTrie Trie { get; }

    /// <summary>Ordinary tokens whose first byte outside plain string text is a quote or a backslash.</summary>
    public int[] StringBreakingTokens { get; }

    public ReadOnlySpan<byte> Bytes(int id) => _bytes[id];

    /// <summary>Whether the id is an ordinary (byte-matched) token: in range, not an added token, not empty.</summary>
    public bool IsOrdinary(int id) => (uint)id < (uint)Size && _ordinary[id];

    /// <summary>
    /// Bitmask of tokens made only of plain string characters that may continue a string body with
    /// <paramref name="pending"/> UTF-8 continuation bytes due and at most <paramref name="remaining"/> more characters.
    /// Computed once per (pending, remaining) and shared.
    /// </summary>
    public ulong[] StringBodyMask(int pending, int remaining)
    {
        remaining = Math.Min(remaining, 256); // no token starts more than 255 characters
        lock (_lock)
        {
            if (_bodyMasks.TryGetValue((pending, remaining), out var cached)) return cached;
            var mask = new ulong[(Size + 63) / 64];
            byte bit = (byte)(1 << pending);
            for (int id = 0; id < Size; id++)
                if ((_pureValidFrom[id] & bit) != 0 && _charCount[id] <= remaining)
                    mask[id >> 6] |= 1UL << id;
            _bodyMasks[(pending, remaining)] = mask;
            return mask;
        }
    }

    private static int IndexOfControl(byte[] bytes)
    {
        for (int i = 0; i < bytes.Length; i++)
            if (bytes[i] < 0x20) return i;
        return -1;
    }

    /// <summary>Whether the bytes continue valid UTF-8 when <paramref name="pending"/> continuation bytes are due (a trailing partial character is fine).</summary>
    private static bool ValidUtf8From(byte[] bytes, int pending)
    {
        foreach (byte b in bytes)
        {
            if (pending > 0)
            {
                if (b is < 0x80 or > 0xBF) return false;
                pending--;
            }
            else if (b >= 0x80)
            {
                if (b is < 0xC2 or > 0xF4) return false;
                pending = b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
            }
        }
        return true;
    }
}
