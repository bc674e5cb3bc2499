using Microsoft.Extensions.Logging;
using OnnxLlm.Runtime;

namespace OnnxLlm;

/// <summary>What <see cref="IModelResolver.ResolveAsync"/> is asked to find.</summary>
public sealed record ModelResolveRequest
{
    /// <summary><see cref="OnnxLlmOptions.ModelPath"/> as the user wrote it (not an existing folder).</summary>
    public required string ModelPath { get; init; }

    /// <summary>Where the model will run: a resolver that exports may pick the graph target for it (Core ML on a Mac: the coreml target).</summary>
    public ExecutionProvider ExecutionProvider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>The load's logger.</summary>
    public required ILogger Logger { get; init; }
}
