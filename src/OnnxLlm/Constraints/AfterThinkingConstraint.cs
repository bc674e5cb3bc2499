using OnnxLlm.Generation;

namespace OnnxLlm.Constraints;

/// <summary>
/// Lets a thinking model reason freely, then constrains its answer: wraps a constraint (JSON schema, forced tool call)
/// so that it starts only once the reasoning block is closed. The first token may be the block's opening tag (then
/// every token passes until the closing tag is accepted) or anything the inner constraint allows (the model skipped
/// thinking, so the answer is constrained from the start). The output cap still counts the thinking tokens.
/// </summary>
internal sealed class AfterThinkingConstraint : ILogitsConstraint
{
    private readonly ILogitsConstraint _inner;
    private readonly int _startId;
    private readonly int _endId;
    private Phase _phase = Phase.BeforeThinking;

    /// <param name="inner">The constraint on the answer.</param>
    /// <param name="startId">The id of <c>&lt;think&gt;</c>.</param>
    /// <param name="endId">The id of <c>&lt;/think&gt;</c>.</param>
    /// <param name="startsInReasoning">The prompt itself opened the block, so generation starts inside it.</param>
    public AfterThinkingConstraint(ILogitsConstraint inner, int startId, int endId, bool startsInReasoning = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _startId = startId;
        _endId = endId;
        if (startsInReasoning) _phase = Phase.Thinking;
    }

    private enum Phase { BeforeThinking, Thinking, Answer }

    /// <inheritdoc />
    public bool IsComplete => _phase == Phase.Answer && _inner.IsComplete;

    /// <inheritdoc />
    public void Apply(Span<float> logits)
    {
        switch (_phase)
        {
            case Phase.BeforeThinking:
                // The answer's constraint, plus the option of opening a reasoning block first.
                float start = (uint)_startId < (uint)logits.Length ? logits[_startId] : float.NegativeInfinity;
                _inner.Apply(logits);
                if ((uint)_startId < (uint)logits.Length) logits[_startId] = start;
                break;
            case Phase.Answer:
                _inner.Apply(logits);
                break;
        }
    }

    /// <inheritdoc />
    public void Accept(int tokenId)
    {
        switch (_phase)
        {
            case Phase.BeforeThinking when tokenId == _startId:
                _phase = Phase.Thinking;
                break;
            case Phase.BeforeThinking:
                _phase = Phase.Answer;
                _inner.Accept(tokenId);
                break;
            case Phase.Thinking when tokenId == _endId:
                _phase = Phase.Answer;
                break;
            case Phase.Answer:
                _inner.Accept(tokenId);
                break;
        }
    }
}
