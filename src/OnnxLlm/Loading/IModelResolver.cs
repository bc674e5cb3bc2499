namespace OnnxLlm;

/// <summary>
/// Turns an <see cref="OnnxLlmOptions.ModelPath"/> that is not a model folder into one: the package
/// <c>OnnxLlm.Hub</c> implements it for Hugging Face model ids (pull, export to ONNX, cache). The SDK itself only
/// reads folders, so it carries no downloader and no exporter.
/// </summary>
public interface IModelResolver
{
    /// <summary>
    /// Resolves <paramref name="request"/>'s model path to a model folder, or returns null when the path is not a name this
    /// resolver knows (the load then fails with <see cref="DirectoryNotFoundException"/>).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<ResolvedModel?> ResolveAsync(ModelResolveRequest request, CancellationToken cancellationToken);
}
