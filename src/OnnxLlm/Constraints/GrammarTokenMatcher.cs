using OnnxLlm.Constraints.Automaton;
using OnnxLlm.Constraints.Vocabulary;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Constraints;

/// <summary>
/// A <see cref="Grammar"/> paired with a tokenizer's vocabulary: creates one <see cref="GrammarConstraint"/>
/// per generation and caches the token mask of each parse state it has seen (states repeat a lot: every
/// character inside a string, every position after a comma), so repeated states cost one lookup. Thread-safe;
/// keep one per (schema, tokenizer).
/// </summary>
internal sealed class GrammarTokenMatcher
{
    private const int MaxCachedMasks = 512; // ~19 KB each for Qwen's vocabulary

    private readonly Dictionary<ulong, (ulong[] Frames, ulong[] Mask)> _cache = [];
    private readonly Lock _lock = new();
    private readonly HashSet<int> _endTokens;

    /// <summary>Pairs <paramref name="grammar"/> with <paramref name="tokenizer"/>'s vocabulary (prepared once per tokenizer).</summary>
    /// <param name="grammar">What the output must match.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="endTokenIds">Tokens that may end the output where the grammar allows it to end but could go on (e.g. after a top-level number); typically the model's stop tokens.</param>
    public GrammarTokenMatcher(Grammar grammar, QwenTokenizer tokenizer, IEnumerable<int>? endTokenIds = null)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentNullException.ThrowIfNull(tokenizer);
        Grammar = grammar;
        Vocabulary = TokenVocabulary.For(tokenizer);
        _endTokens = endTokenIds is null ? [] : [.. endTokenIds];
        foreach (int id in _endTokens)
            if ((uint)id >= (uint)Vocabulary.Size)
                throw new ArgumentOutOfRangeException(nameof(endTokenIds), id, $"End token ids must be below the vocabulary size {Vocabulary.Size}.");
    }

    /// <summary>The grammar.</summary>
    public Grammar Grammar { get; }

    internal TokenVocabulary Vocabulary { get; }

    internal bool IsEndToken(int tokenId) => _endTokens.Contains(tokenId);

    /// <summary>A fresh constraint for one generation.</summary>
    public GrammarConstraint CreateConstraint() => new(this);

    /// <summary>The mask of <paramref name="state"/>: from the cache, or computed with <paramref name="walker"/> and cached.</summary>
    internal ulong[] GetMask(GrammarStack state, TokenMaskWalker walker, GrammarStack scratch)
    {
        ulong key = state.Hash();
        lock (_lock)
        {
            if (_cache.TryGetValue(key, out var hit) && hit.Frames.AsSpan().SequenceEqual(state.Frames)) return hit.Mask;
        }
        var mask = new ulong[(Vocabulary.Size + 63) / 64];
        walker.AddAllowed(state, mask);
        if (state.Depth > 0 && Grammar.Nodes[Frame.Node(state.Top)] is TokenNode token)
            mask[token.TokenId >> 6] |= 1UL << token.TokenId;
        scratch.CopyFrom(state);
        if (scratch.Feed(Grammar, -1))
            foreach (int id in _endTokens) mask[id >> 6] |= 1UL << id;
        lock (_lock)
        {
            if (_cache.Count >= MaxCachedMasks) _cache.Clear(); // simple and bounded; hot states come back at once
            _cache[key] = (state.Frames.ToArray(), mask);
        }
        return mask;
    }
}
