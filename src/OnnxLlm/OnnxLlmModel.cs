using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Backends;
using OnnxLlm.Backends.GenAi;
using OnnxLlm.Generation;
using OnnxLlm.Inference;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.Runtime;
using OnnxLlm.Templates;
using OnnxLlm.Tokenization;

namespace OnnxLlm;

/// <summary>
/// A loaded model folder: the ONNX decoder, its tokenizer, its chat template, the author's generation
/// defaults and the generation engine. Thread-safe; share one per folder. Disposing frees native memory.
/// </summary>
public sealed class OnnxLlmModel : IDisposable
{
    private readonly DecoderModel? _decoder;
    private readonly GenerationEngine? _engine;

    private OnnxLlmModel(string modelId, string directory, GenAiConfig config, DecoderModel? decoder, QwenTokenizer tokenizer,
        ChatTemplate? template, GenerationDefaults defaults, IReadOnlyCollection<int> stopTokenIds, bool isBaseModel, ITokenGenerator generator)
    {
        ModelId = modelId;
        Directory = directory;
        Config = config;
        _decoder = decoder;
        Tokenizer = tokenizer;
        ChatTemplate = template;
        Defaults = defaults;
        StopTokenIds = stopTokenIds;
        IsBaseModel = isBaseModel;
        Generator = generator;
        _engine = generator as GenerationEngine;
        Backend = _engine is null ? InferenceBackend.GenAI : InferenceBackend.OnnxLlm;
    }

    /// <summary>The model id reported in responses.</summary>
    public string ModelId { get; }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The folder's genai_config.json.</summary>
    public GenAiConfig Config { get; }

    /// <summary>The loaded decoder (its static-kv-v1 contract, if any, tells which state type runs it); OnnxLlm backend only.</summary>
    internal DecoderModel Decoder => _decoder ?? throw BackendIsGenAi(nameof(Decoder));

    /// <summary>The backend that runs this model (<see cref="InferenceBackend.Auto"/> resolved at load).</summary>
    public InferenceBackend Backend { get; }

    /// <summary>The active backend's generator: <see cref="Engine"/> or the GenAI one.</summary>
    internal ITokenGenerator Generator { get; }

    /// <summary>The tokenizer.</summary>
    internal QwenTokenizer Tokenizer { get; }

    /// <summary>The model's own chat template (from tokenizer_config.json), or null when the folder has none.</summary>
    internal ChatTemplate? ChatTemplate { get; }

    /// <summary>Sampling defaults: generation_config.json's when the folder has one, else genai_config.json's <c>search</c> section.</summary>
    internal GenerationDefaults Defaults { get; }

    /// <summary>Every token id that ends a response: EOS ids and the template's end-of-turn token.</summary>
    public IReadOnlyCollection<int> StopTokenIds { get; }

    /// <summary>
    /// True when the folder looks like a base (pre-trained, not chat-tuned) model: its tokenizer's EOS is not
    /// the chat template's end-of-turn token, so chats may ramble until the token limit.
    /// </summary>
    public bool IsBaseModel { get; }

    /// <summary>The generation engine of the OnnxLlm backend.</summary>
    /// <exception cref="InvalidOperationException">The model runs on the GenAI backend (<see cref="Backend"/>).</exception>
    internal GenerationEngine Engine => _engine ?? throw BackendIsGenAi(nameof(Engine));

    private InvalidOperationException BackendIsGenAi(string member) => new(
        $"{ModelId} runs on the ONNX Runtime GenAI backend; OnnxLlmModel.{member} belongs to the OnnxLlm backend " +
        "(set OnnxLlmOptions.Backend = OnnxLlm to use it).");

    /// <summary>
    /// Loads the model named by <see cref="OnnxLlmOptions.ModelPath"/>: a folder, or a name that
    /// <see cref="OnnxLlmOptions.ModelResolver"/> resolves to one (a Hub model id may be pulled and exported first,
    /// which can take minutes; prefer <see cref="LoadAsync"/> then).
    /// </summary>
    /// <exception cref="ArgumentException">ModelPath is not set.</exception>
    /// <exception cref="DirectoryNotFoundException">ModelPath is not a folder, and no resolver knows it.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing (named in the message).</exception>
    /// <exception cref="InvalidDataException">A file is malformed (named in the message).</exception>
    public static OnnxLlmModel Load(OnnxLlmOptions options, ILoggerFactory? loggerFactory = null) =>
        // A resolver does asynchronous I/O; a synchronous caller (e.g. a DI factory) waits for it on a pool thread.
        Task.Run(() => LoadAsync(options, loggerFactory)).GetAwaiter().GetResult();

    /// <summary>Loads a model folder, or the folder <see cref="OnnxLlmOptions.ModelResolver"/> resolves the model path to.</summary>
    /// <inheritdoc cref="Load" path="/exception"/>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while resolving.</exception>
    public static async Task<OnnxLlmModel> LoadAsync(OnnxLlmOptions options, ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            throw new ArgumentException("OnnxLlmOptions.ModelPath must name a model folder or a Hugging Face model id.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DefaultMaxOutputTokens, 1, nameof(options.DefaultMaxOutputTokens));
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OnnxLlmModel>();
        string directory = Path.GetFullPath(options.ModelPath);
        string? resolvedId = null;
        if (!System.IO.Directory.Exists(directory))
        {
            var request = new ModelResolveRequest { ModelPath = options.ModelPath, ExecutionProvider = options.ExecutionProvider, Logger = logger };
            var resolved = options.ModelResolver is { } resolver
                ? await resolver.ResolveAsync(request, cancellationToken).ConfigureAwait(false)
                : null;
            if (resolved is null)
                throw new DirectoryNotFoundException(options.ModelResolver is null
                    ? $"Model folder not found: {directory}. To load Hugging Face model ids such as 'Qwen/Qwen2.5-0.5B-Instruct', add the " +
                      "OnnxLlm.Hub package and set OnnxLlmOptions.ModelResolver = new HuggingFaceModelResolver() (or call services.AddHuggingFaceModels())."
                    : $"Model folder not found: {directory} (and {options.ModelResolver.GetType().Name} does not know '{options.ModelPath}').");
            directory = resolved.Directory;
            resolvedId = resolved.ModelId;
        }
        return LoadFolder(options, directory, resolvedId, logger);
    }

    private static OnnxLlmModel LoadFolder(OnnxLlmOptions options, string directory, string? resolvedId, ILogger logger)
    {
        string configPath = Path.Combine(directory, ModelFolderFiles.GenAiConfig);
        var config = GenAiConfig.Load(configPath);
        GenAiConfigSupport.CheckForEitherBackend(config, configPath);
        var tokenizer = QwenTokenizer.FromDirectory(directory);
        var defaults = GenerationDefaults.Load(Path.Combine(directory, ModelFolderFiles.GenerationConfig), config.Search);
        var template = ParseTemplate(tokenizer);
        string modelId = options.ModelId ?? resolvedId ?? Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));

        DecoderModel? decoder = null;
        ITokenGenerator generator;
        var backend = BackendSelector.Choose(options, directory, config);
        if (backend == InferenceBackend.OnnxLlm)
        {
            // Decided: a warning, not an error. provider_options are GenAI's session settings; with our loop forced the
            // user chose OnnxLlmOptions.ExecutionProvider, and the weights themselves run there (or fail to load, naming why).
            foreach (var provider in GenAiConfigSupport.DeviceProviders(config))
                logger.LogWarning("{ConfigPath}: 'model.decoder.session_options.provider_options' names '{Provider}', which ONNX Runtime GenAI would use; " +
                                  "the OnnxLlm backend ignores it and runs on {ExecutionProvider} (set Backend to Auto or GenAI to run on '{Provider}').",
                    configPath, provider.Name, options.ExecutionProvider, provider.Name);
            try
            {
                decoder = LoadDecoder(options, directory, config, logger);
            }
            catch (InvalidDataException ex) when (options.Backend == InferenceBackend.Auto && BackendSelector.GenAiMayRun(directory))
            {
                // Auto: a folder our loop cannot run (e.g. a GenAI-builder graph with inputs we do not feed) goes to GenAI.
                logger.LogInformation("{Directory}: OnnxLlm's loop cannot run this folder ({Reason}); using ONNX Runtime GenAI.", directory, ex.Message);
                backend = InferenceBackend.GenAI;
            }
        }
        try
        {
            var stopIds = new HashSet<int>(config.EosTokenIds);
            stopIds.UnionWith(defaults.EosTokenIds);
            if (tokenizer.EosToken is { } eos && tokenizer.TokenToId(eos) is int eosId) stopIds.Add(eosId);
            int? endOfTurn = EndOfTurnToken(tokenizer);
            if (endOfTurn is int turn) stopIds.Add(turn);
            bool isBase = endOfTurn is int t && tokenizer.EosToken is { } e && tokenizer.TokenToId(e) != t;

            if (decoder is not null)
            {
                generator = new GenerationEngine(decoder, tokenizer, new GenerationEngineOptions
                {
                    MaxParallelSequences = options.MaxConcurrentGenerations,
                    MaxQueuedRequests = options.MaxQueuedGenerations,
                    PrefixCacheBytes = options.PrefixCacheBytes,
                    PrefillChunkSize = options.PrefillChunkSize,
                }, logger);
                logger.LogInformation("Loaded model {ModelId} from {Directory}: {Layers} layers, vocabulary {Vocab}, context {Context}, KV {KvType}, {Provider}.",
                    modelId, directory, config.NumHiddenLayers, config.VocabSize, config.MaxSequenceLength, decoder.KvElementType, options.ExecutionProvider);
            }
            else
            {
                generator = GenAiGenerator.Load(directory, config, tokenizer, options, logger);
                logger.LogInformation("Loaded model {ModelId} from {Directory} on ONNX Runtime GenAI: {Layers} layers, vocabulary {Vocab}, context {Context}.",
                    modelId, directory, config.NumHiddenLayers, config.VocabSize, config.MaxSequenceLength);
            }
            return new OnnxLlmModel(modelId, directory, config, decoder, tokenizer, template, defaults, stopIds, isBase, generator);
        }
        catch
        {
            decoder?.Dispose();
            throw;
        }
    }

    private static DecoderModel LoadDecoder(OnnxLlmOptions options, string directory, GenAiConfig config, ILogger logger)
    {
        using var sessionOptions = SessionOptionsFactory.Create(options, directory, logger);
        var decoder = DecoderModel.Load(directory, config, sessionOptions);
        // Core ML exists only on Macs; elsewhere a CoreML request runs on the CPU provider.
        bool onCpuProvider = options.ExecutionProvider == ExecutionProvider.Cpu || !OperatingSystem.IsMacOS();
        if (Fp16CpuNotice.ForLoadedModel(decoder, options.ProcessArchitecture ?? RuntimeInformation.ProcessArchitecture, onCpuProvider) is { } fp16Notice)
            logger.LogWarning("{Directory}: {Notice}", directory, fp16Notice);
        if (options.ExecutionProvider == ExecutionProvider.CoreML && decoder.StaticContract is null && OperatingSystem.IsMacOS())
            logger.LogWarning("{Directory} was not exported for Core ML (its graph uses contrib ops and dynamic shapes, which the CoreML " +
                              "execution provider leaves to the CPU); export it with `onnxllm export --target coreml`.", directory);
        return decoder;
    }

    /// <summary>The folder's chat template, parsed at load so that an unsupported one fails now, naming its file.</summary>
    private static ChatTemplate? ParseTemplate(QwenTokenizer tokenizer)
    {
        if (tokenizer.ChatTemplate is not { } source) return null;
        try
        {
            return ChatTemplate.Parse(source);
        }
        catch (ChatTemplateException ex)
        {
            throw new ChatTemplateException($"Chat template in '{tokenizer.ChatTemplatePath}' is not supported: {ex.Reason}", ex.Line, ex.Column, ex);
        }
    }

    /// <summary>Qwen's ChatML closes every turn with &lt;|im_end|&gt;; a model emitting it has finished its answer.</summary>
    private static int? EndOfTurnToken(QwenTokenizer tokenizer) => tokenizer.TokenToId("<|im_end|>");

    /// <summary>Frees the native session and KV caches.</summary>
    public void Dispose()
    {
        Generator.Dispose();
        _decoder?.Dispose();
    }
}
