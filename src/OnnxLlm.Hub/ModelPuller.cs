using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Export.Exporting;

namespace OnnxLlm.Hub;

/// <summary>
/// From a model id to a ready model folder: resolve the revision on the Hub, download what an export needs
/// (config, generation config, tokenizer files, safetensors shards and index) in parallel, export to ONNX,
/// and cache both, keyed by repository + commit + precision + target. Concurrent pulls of one model (from
/// any process) take turns on a file lock; a cached copy is used without network unless a refresh is asked.
/// </summary>
public sealed class ModelPuller : IDisposable
{
    private static readonly HashSet<string> s_neededFiles = new(StringComparer.Ordinal)
    {
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
        "special_tokens_map.json", "added_tokens.json", "model.safetensors.index.json",
    };

    private readonly HubOptions _options;
    private readonly HuggingFaceHubClient _client;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;

    /// <summary>Creates a puller over <paramref name="options"/>.</summary>
    public ModelPuller(HubOptions options, ILogger? logger = null) : this(options, client: null, logger)
    {
    }

    /// <summary>Creates a puller; <paramref name="client"/> (tests: a client over a fake Hub) defaults to one over <paramref name="options"/>.</summary>
    internal ModelPuller(HubOptions options, HuggingFaceHubClient? client, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _client = client ?? new HuggingFaceHubClient(options, logger: _logger);
        _ownsClient = client is null;
        Cache = new ModelCache(options.CacheDirectory);
    }

    /// <summary>The cache this puller fills.</summary>
    public ModelCache Cache { get; }

    /// <summary>Pulls <paramref name="id"/> (or finds it in the cache) and returns its exported folder.</summary>
    /// <exception cref="HubOfflineException">Offline and not cached.</exception>
    /// <exception cref="HubModelNotFoundException">Unknown model or revision.</exception>
    /// <exception cref="HubAuthenticationException">A token is needed or was refused.</exception>
    /// <exception cref="HubIntegrityException">A download failed verification (it was deleted).</exception>
    /// <exception cref="HttpRequestException">The Hub could not be reached, or answered with an error.</exception>
    public async Task<PulledModel> PullAsync(HubModelId id, PullOptions? options = null, IProgress<PullProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new PullOptions();
        string? commit = Cache.TryResolveRevision(id);
        if (commit is not null && (!options.Refresh || _options.Offline) && IsExported(id, commit, options))
            return new PulledModel(id, commit, Cache.ExportDirectory(id.Repository, commit, options.Variant), FromCache: true);

        HubModelInfo? info = null;
        if (_options.Offline)
        {
            if (commit is null || !ModelCache.IsComplete(Cache.CheckpointDirectory(id.Repository, commit)))
                throw new HubOfflineException($"{id} is not in the cache at {Cache.Root}, and offline mode (HF_HUB_OFFLINE) is on: pull it with network access first.");
        }
        else
        {
            progress?.Report(new PullProgress("resolving"));
            try
            {
                info = await _client.GetModelInfoAsync(id, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null)
            {
                // No HTTP answer at all (DNS, refused, TLS): say where we tried and what the user can do about it.
                throw new HttpRequestException(
                    $"Could not reach the Hugging Face Hub at {_options.Endpoint} to pull {id} ({ex.Message}). Check the network or proxy " +
                    "(HTTPS_PROXY), point HF_ENDPOINT at a mirror, or pass a local model folder instead of a model id.", ex);
            }
            commit = info.CommitSha;
            Cache.RecordRevision(id, commit);
            if (IsExported(id, commit, options))
                return new PulledModel(id, commit, Cache.ExportDirectory(id.Repository, commit, options.Variant), FromCache: true);
        }

        using (await Cache.LockAsync(id.Repository, cancellationToken).ConfigureAwait(false))
        {
            // Another process may have finished the same pull while this one waited for the lock.
            string exportDirectory = Cache.ExportDirectory(id.Repository, commit, options.Variant);
            if (IsExported(id, commit, options)) return new PulledModel(id, commit, exportDirectory, FromCache: true);

            string checkpoint = Cache.CheckpointDirectory(id.Repository, commit);
            if (!ModelCache.IsComplete(checkpoint))
            {
                await DownloadAsync(info ?? throw new HubOfflineException($"{id}: the checkpoint is incomplete and offline mode is on."),
                    checkpoint, progress, cancellationToken).ConfigureAwait(false);
                ModelCache.MarkComplete(checkpoint);
            }

            progress?.Report(new PullProgress("exporting"));
            _logger.LogInformation("Exporting {Id} ({Commit}) as {Variant} to {Directory}.", id, commit, options.Variant, exportDirectory);
            await Qwen2Exporter.ExportAsync(new ExportOptions
            {
                InputDirectory = checkpoint,
                OutputDirectory = exportDirectory,
                Precision = options.Precision,
                Target = options.Target,
                Overwrite = true, // a leftover folder without a complete manifest is damaged: redo it
            }, cancellationToken: cancellationToken).ConfigureAwait(false);
            ModelCache.MarkComplete(exportDirectory);
            progress?.Report(new PullProgress("done"));
            return new PulledModel(id, commit, exportDirectory, FromCache: false);
        }
    }

    private bool IsExported(HubModelId id, string commit, PullOptions options) =>
        ModelCache.IsComplete(Cache.ExportDirectory(id.Repository, commit, options.Variant));

    private async Task DownloadAsync(HubModelInfo info, string checkpoint, IProgress<PullProgress>? progress, CancellationToken cancellationToken)
    {
        var files = info.Files.Where(f => s_neededFiles.Contains(f.Path) || (f.Path.EndsWith(".safetensors", StringComparison.Ordinal) && !f.Path.Contains('/'))).ToArray();
        if (!files.Any(f => f.Path == "config.json"))
            throw new HubException($"{info.Repository} has no config.json: it is not a Hugging Face transformers model.");
        if (!files.Any(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new HubException($"{info.Repository} has no *.safetensors weights (only safetensors checkpoints can be exported).");
        Directory.CreateDirectory(checkpoint);
        var fileProgress = progress is null ? null : new Progress<HubDownloadProgress>(p => progress.Report(new PullProgress("downloading", p.File, p.BytesDone, p.BytesTotal)));
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.MaxParallelDownloads), CancellationToken = cancellationToken },
            async (file, ct) =>
            {
                string destination = Path.Combine(checkpoint, file.Path);
                if (File.Exists(destination) && (file.Size is null || new FileInfo(destination).Length == file.Size)) return;
                await _client.DownloadFileAsync(info, file, destination, fileProgress, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }
}
