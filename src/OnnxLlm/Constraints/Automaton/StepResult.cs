using OnnxLlm.Constraints;
namespace OnnxLlm.Constraints.Automaton;

/// <summary>What a node did with one input byte (or the end-of-input marker −1).</summary>
internal enum StepResult : byte
{
    /// <summary>The byte is not allowed here.</summary>
    Reject,

    /// <summary>The byte was consumed; the frame stays.</summary>
    Consumed,

    /// <summary>The byte was consumed and completed the node: pop the frame.</summary>
    Done,

    /// <summary>The node was already complete and the byte belongs to its parent: pop and feed the byte again.</summary>
    Pop,

    /// <summary>The node pushed a child frame; feed the byte to the child.</summary>
    Push,

    /// <summary>The node rewrote its own frame (e.g. a union picked an alternative); feed the byte again.</summary>
    Again,
}
