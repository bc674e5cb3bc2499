using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.Inference.Gqa;
using OnnxLlm.Inference.Slots;
using OnnxLlm.Inference.StaticKv;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Inference;

/// <summary>
/// An exported decoder loaded into ONNX Runtime for OnnxLlm's own generation loop. Two graph contracts exist, each
/// in its own folder: <see cref="GqaDecoderModel"/> (the <c>cpu</c> target and GenAI-style folders: one graph whose
/// GroupQueryAttention grows a KV cache in place) and <see cref="StaticKvDecoderModel"/> (the <c>coreml</c> target's
/// static-kv-v1 contract: fixed-shape decode and prefill graphs over a host-owned KV buffer). A model is stateless
/// and thread-safe: each sequence owns an <see cref="IDecoderState"/> or a slot of an <see cref="ISequenceSlots"/>.
/// </summary>
internal abstract class DecoderModel : IDisposable
{
    private bool _disposed;

    private protected DecoderModel(string directory, GenAiConfig config, TensorElementType kvElementType)
    {
        Directory = directory;
        Config = config;
        if (kvElementType is not (TensorElementType.Float or TensorElementType.Float16))
            throw new InvalidDataException($"{directory}: KV cache element type {kvElementType} is not supported (float or float16).");
        KvElementType = kvElementType;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The folder's genai_config.json.</summary>
    public GenAiConfig Config { get; }

    /// <summary>Element type of the KV cache (float or float16).</summary>
    public TensorElementType KvElementType { get; }

    /// <summary>The folder's static-kv-v1 contract (coreml export target); null for GenAI-style folders.</summary>
    public virtual StaticKvContract? StaticContract => null;

    /// <summary>
    /// The longest sequence (prompt + output) a state or slot of this model holds: genai_config.json's context length,
    /// capped by its <c>search.max_length</c> and, for static-kv-v1 folders, by the contract's fixed KV buffer.
    /// </summary>
    public virtual int MaxSequenceLength => Config.MaxSequenceLength;

    /// <summary>The session that runs one new token (the only session of a GenAI-style folder).</summary>
    internal abstract InferenceSession Session { get; }

    /// <summary>Loads a model folder: its static-kv-v1 contract decides which graph contract it follows.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="sessionOptions">ONNX Runtime session options (execution provider, threads); the model does not dispose them.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">genai_config.json or an ONNX file is missing.</exception>
    /// <exception cref="InvalidDataException">
    /// A config or ONNX file is malformed, the graph is not what its config says, or the config names something this loop does not
    /// run (a GenAI-builder field, named in the message).
    /// </exception>
    public static DecoderModel Load(string directory, SessionOptions sessionOptions)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model folder not found: {directory}");
        return Load(directory, GenAiConfig.Load(Path.Combine(directory, ModelFolderFiles.GenAiConfig)), sessionOptions);
    }

    /// <summary>Loads a model folder whose genai_config.json the caller has already read.</summary>
    /// <inheritdoc cref="Load(string, SessionOptions)" path="/exception"/>
    public static DecoderModel Load(string directory, GenAiConfig config, SessionOptions sessionOptions)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        directory = Path.GetFullPath(directory);
        string configPath = Path.Combine(directory, ModelFolderFiles.GenAiConfig);
        string contractPath = Path.Combine(directory, StaticKvContract.FileName);
        Backends.GenAiConfigSupport.CheckForOurLoop(config, configPath, staticKv: File.Exists(contractPath));
        return File.Exists(contractPath)
            ? StaticKvDecoderModel.Open(directory, config, StaticKvContract.Load(contractPath), sessionOptions)
            : GqaDecoderModel.Open(directory, config, sessionOptions);
    }

    /// <summary>Creates a sequence state whose KV cache holds up to <paramref name="capacity"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity is not within 1..the longest sequence the config allows.</exception>
    public IDecoderState CreateState(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxSequenceLength);
        return CreateStateCore(capacity);
    }

    /// <summary>
    /// Creates the KV slots the batch scheduler runs sequences in: <paramref name="slotCount"/> sequences of up to the
    /// context length each, decoded together where the graph allows (see <see cref="ISequenceSlots"/>).
    /// </summary>
    internal ISequenceSlots CreateSlots(int slotCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        return CreateSlotsCore(slotCount);
    }

    private protected abstract IDecoderState CreateStateCore(int capacity);

    private protected abstract ISequenceSlots CreateSlotsCore(int slotCount);

    /// <summary>Opens one ONNX file, turning ONNX Runtime's load failure into an error naming the file.</summary>
    private protected static InferenceSession OpenSession(string onnxPath, string namedBy, SessionOptions sessionOptions,
        PrePackedWeightsContainer? prepacked = null)
    {
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"Model file not found: {onnxPath} (named by {namedBy}).", onnxPath);
        try
        {
            return prepacked is null ? new InferenceSession(onnxPath, sessionOptions) : new InferenceSession(onnxPath, sessionOptions, prepacked);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"{onnxPath}: ONNX Runtime could not load the model: {ex.Message}", ex);
        }
    }

    /// <summary>Releases the native sessions.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeSessions();
    }

    private protected abstract void DisposeSessions();
}
