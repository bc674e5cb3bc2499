using Microsoft.Extensions.Logging;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Runtime;

namespace OnnxLlm.Hub;

/// <summary>
/// Lets <see cref="OnnxLlmOptions.ModelPath"/> name a Hugging Face model id (<c>Qwen/Qwen2.5-0.5B-Instruct</c>, optionally
/// <c>@revision</c>): on first use the checkpoint is pulled, exported to ONNX at <see cref="HuggingFaceModelResolverOptions.Precision"/>
/// and cached; later loads use the cache without network. Set it as <see cref="OnnxLlmOptions.ModelResolver"/>, or register it
/// with <c>services.AddHuggingFaceModels()</c>.
/// </summary>
public sealed class HuggingFaceModelResolver : IModelResolver
{
    private readonly HuggingFaceModelResolverOptions _options;
    private readonly IProgress<PullProgress>? _progress;

    /// <summary>Creates a resolver.</summary>
    /// <param name="options">Hub settings and export precision; null: the environment's (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, ONNXLLM_CACHE) and fp16.</param>
    /// <param name="progress">Receives download and export progress (the first load of a model can take minutes).</param>
    public HuggingFaceModelResolver(HuggingFaceModelResolverOptions? options = null, IProgress<PullProgress>? progress = null)
    {
        _options = options ?? new HuggingFaceModelResolverOptions();
        _progress = progress;
    }

    /// <summary>Pulls and exports the model id, or returns null when the path is not one.</summary>
    /// <exception cref="HubException">The Hub refused or the download failed (the message says which, naming the model or file).</exception>
    public async Task<ResolvedModel?> ResolveAsync(ModelResolveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!HubModelId.TryParse(request.ModelPath, out var id)) return null;
        // Core ML on a Mac gets the coreml export (static shapes, one Core ML partition); anything else the cpu one.
        var target = request.ExecutionProvider == ExecutionProvider.CoreML && OperatingSystem.IsMacOS() ? ExportTarget.CoreML : ExportTarget.Cpu;
        using var puller = new ModelPuller(_options.Hub, logger: request.Logger);
        PulledModel pulled;
        try
        {
            pulled = await puller.PullAsync(id, new PullOptions { Precision = _options.Precision, Target = target }, _progress, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HubModelNotFoundException or HttpRequestException)
        {
            // A mistyped relative folder path also looks like owner/name: say both things that were tried.
            throw new HubModelNotFoundException(
                $"No model folder {Path.GetFullPath(request.ModelPath)} exists, and pulling '{id}' from the Hub failed: {ex.Message}");
        }
        request.Logger.LogInformation("{Id} is {Source} at {Directory}.", id, pulled.FromCache ? "cached" : "pulled and exported", pulled.ModelDirectory);
        return new ResolvedModel(pulled.ModelDirectory, id.Repository);
    }
}
