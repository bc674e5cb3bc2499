namespace OnnxLlm.Export.CoreML;

/// <summary>One reason a node would not run on Core ML.</summary>
/// <param name="NodeName">The node's name.</param>
/// <param name="OpType">Its op type, prefixed with a non-default domain (e.g. <c>com.microsoft.GroupQueryAttention</c>).</param>
/// <param name="Rule">The rule it breaks.</param>
/// <param name="Detail">What exactly (which input, which shape).</param>
public sealed record CoreMLRejection(string NodeName, string OpType, CoreMLRule Rule, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"{NodeName} ({OpType}): {Rule}: {Detail}";
}
