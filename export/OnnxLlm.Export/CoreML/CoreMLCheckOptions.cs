namespace OnnxLlm.Export.CoreML;

/// <summary>How strictly <see cref="CoreMLChecker"/> judges a graph.</summary>
public sealed record CoreMLCheckOptions
{
    /// <summary>
    /// Also reject nodes with any dynamic input dimension, as ORT does with <c>RequireStaticInputShapes=1</c>. Static
    /// shapes are what keeps Core ML on the Neural Engine; the coreml export target meets this.
    /// </summary>
    public bool RequireStaticShapes { get; init; }
}
