using OnnxLlm.Constraints.Automaton;
using OnnxLlm.Constraints.Vocabulary;
using OnnxLlm.Generation;

namespace OnnxLlm.Constraints;

/// <summary>
/// Constrained decoding for one generation: before each sample it sets the logits of every token that would
/// break the grammar to −∞, and it advances the parse past each chosen token, so the output is valid by
/// construction and <see cref="IsComplete"/> turns true as the value closes. Create with
/// <see cref="GrammarTokenMatcher.CreateConstraint"/>. Not thread-safe (one generation at a time).
/// </summary>
internal sealed class GrammarConstraint : ILogitsConstraint
{
    private readonly GrammarTokenMatcher _matcher;
    private readonly Grammar _grammar;
    private readonly TokenMaskWalker _walker;
    private GrammarStack _state;
    private GrammarStack _scratch = new();


    internal GrammarConstraint(GrammarTokenMatcher matcher)
    {
        _matcher = matcher;
        _grammar = matcher.Grammar;
        _walker = new TokenMaskWalker(_grammar, matcher.Vocabulary);
        _state = GrammarStack.Start(_grammar);
    }

    /// <inheritdoc />
    public bool IsComplete => _state.Depth == 0;

    /// <summary>True when the output so far is a complete value that could still go on (e.g. a top-level number): an end token is allowed.</summary>
    public bool CanEnd
    {
        get
        {
            _scratch.CopyFrom(_state);
            return _scratch.Feed(_grammar, -1);
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The output is complete, or no token can continue it (a grammar dead end).</exception>
    public void Apply(Span<float> logits)
    {
        if (IsComplete) throw new InvalidOperationException("The constrained output is already complete; no token may follow.");
        var mask = _matcher.GetMask(_state, _walker, _scratch);
        int allowed = 0;
        for (int w = 0; w < mask.Length; w++)
        {
            ulong bits = mask[w];
            int start = w << 6;
            if (start >= logits.Length) break;
            int end = Math.Min(start + 64, logits.Length);
            if (bits == ulong.MaxValue)
            {
                allowed += end - start;
                continue;
            }
            if (bits == 0)
            {
                logits[start..end].Fill(float.NegativeInfinity);
                continue;
            }
            for (int i = start; i < end; i++)
            {
                if ((bits & (1UL << (i - start))) == 0) logits[i] = float.NegativeInfinity;
                else allowed++;
            }
        }
        int covered = mask.Length << 6;
        if (covered < logits.Length) logits[covered..].Fill(float.NegativeInfinity);
        if (allowed == 0)
            throw new InvalidOperationException("The grammar allows no token in the current state (a dead end); check the schema's bounds.");
    }

    /// <summary>Whether <paramref name="tokenId"/> may come next (for diagnostics and tests; computes the mask if needed).</summary>
    public bool IsAllowed(int tokenId)
    {
        if (IsComplete || (uint)tokenId >= (uint)_matcher.Vocabulary.Size) return false;
        var mask = _matcher.GetMask(_state, _walker, _scratch);
        return (mask[tokenId >> 6] & (1UL << tokenId)) != 0;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The token does not fit the grammar here (the state is left unchanged).</exception>
    public void Accept(int tokenId)
    {
        if (IsComplete) throw new InvalidOperationException($"Token {tokenId} follows a complete constrained output.");
        if (_grammar.Nodes[Frame.Node(_state.Top)] is TokenNode token)
        {
            if (token.TokenId != tokenId)
                throw new InvalidOperationException($"Token {tokenId} does not fit the grammar: token {token.TokenId} must come next.");
            _state.PopToken(_grammar);
            return;
        }
        if (_matcher.IsEndToken(tokenId) && CanEnd)
        {
            _state.Clear();
            return;
        }
        var bytes = (uint)tokenId < (uint)_matcher.Vocabulary.Size ? _matcher.Vocabulary.Bytes(tokenId) : [];
        _scratch.CopyFrom(_state);
        bool fits = _matcher.Vocabulary.IsOrdinary(tokenId);
        for (int i = 0; fits && i < bytes.Length; i++) fits = _scratch.Feed(_grammar, bytes[i]);
        if (!fits) throw new InvalidOperationException($"Token {tokenId} does not fit the grammar in the current state.");
        (_state, _scratch) = (_scratch, _state);
    }
}
