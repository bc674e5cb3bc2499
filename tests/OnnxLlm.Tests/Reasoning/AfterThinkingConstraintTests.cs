using OnnxLlm.Constraints;
using OnnxLlm.Generation;

namespace OnnxLlm.Tests.Reasoning;

/// <summary>The wrapper that starts an answer's constraint after <c>&lt;/think&gt;</c>, against a recording inner constraint.</summary>
[TestClass]
public sealed class AfterThinkingConstraintTests
{
    private const int Start = 5, End = 6, Vocabulary = 10;

    /// <summary>Allows token 1 only; completes after accepting it.</summary>
    private sealed class OnlyOne : ILogitsConstraint
    {
        public List<int> Accepted { get; } = [];
        public int Applied { get; private set; }
        public bool IsComplete => Accepted.Contains(1);
        public void Apply(Span<float> logits)
        {
            Applied++;
            for (int i = 0; i < logits.Length; i++) if (i != 1) logits[i] = float.NegativeInfinity;
        }
        public void Accept(int tokenId) => Accepted.Add(tokenId);
    }

    private static float[] Logits() => Enumerable.Range(0, Vocabulary).Select(i => (float)i).ToArray();

    [TestMethod]
    public void ThinkingPassesEveryToken_ThenTheInnerConstraintRules()
    {
        var inner = new OnlyOne();
        var constraint = new AfterThinkingConstraint(inner, Start, End);

        var first = Logits();
        constraint.Apply(first);
        CollectionAssert.AreEqual(new[] { 1, Start }, Enumerable.Range(0, Vocabulary).Where(i => !float.IsNegativeInfinity(first[i])).ToArray(),
            "first step: the answer's constraint or the opening tag");
        constraint.Accept(Start);

        for (int token = 0; token < 3; token++)
        {
            var thinking = Logits();
            constraint.Apply(thinking);
            CollectionAssert.AreEqual(Logits(), thinking, "inside the block nothing is masked");
            constraint.Accept(token + 7);
        }
        constraint.Accept(End);
        Assert.IsFalse(constraint.IsComplete);
        Assert.IsEmpty(inner.Accepted, "thinking tokens never reach the inner constraint");

        var answer = Logits();
        constraint.Apply(answer);
        Assert.AreEqual(1, Enumerable.Range(0, Vocabulary).Single(i => !float.IsNegativeInfinity(answer[i])));
        constraint.Accept(1);
        Assert.IsTrue(constraint.IsComplete);
        CollectionAssert.AreEqual(new[] { 1 }, inner.Accepted);
    }

    [TestMethod]
    public void AnswerWithoutThinking_IsConstrainedFromTheFirstToken()
    {
        var inner = new OnlyOne();
        var constraint = new AfterThinkingConstraint(inner, Start, End);
        constraint.Apply(Logits());
        constraint.Accept(1);
        Assert.IsTrue(constraint.IsComplete);
        var next = Logits();
        constraint.Apply(next);
        Assert.IsTrue(float.IsNegativeInfinity(next[Start]), "after the answer began, the opening tag is no longer allowed");
    }

    [TestMethod]
    public void PromptOpenedBlock_StartsThinking()
    {
        var inner = new OnlyOne();
        var constraint = new AfterThinkingConstraint(inner, Start, End, startsInReasoning: true);
        var logits = Logits();
        constraint.Apply(logits);
        CollectionAssert.AreEqual(Logits(), logits);
        Assert.AreEqual(0, inner.Applied);
    }
}
