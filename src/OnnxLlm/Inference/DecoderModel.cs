using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Inference;

/// <summary>
/// An exported decoder loaded into an ONNX Runtime session (or, for a <c>static-kv-v1</c> folder of the coreml
/// target, two sessions: decode step and prefill chunk). It is stateless and thread-safe: each sequence being
/// generated owns an <see cref="IDecoderState"/> (<see cref="DecoderState"/> or <see cref="StaticDecoderState"/>:
/// its KV cache and bound buffers), and any number of states may run on one model concurrently.
/// </summary>
public sealed class DecoderModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly InferenceSession? _prefillSession;
    private readonly PrePackedWeightsContainer? _prepacked;

    private DecoderModel(string directory, GenAiConfig config, StaticKvContract contract, InferenceSession decode,
        InferenceSession prefill, PrePackedWeightsContainer prepacked)
    {
        Directory = directory;
        Config = config;
        StaticContract = contract;
        _session = decode;
        _prefillSession = prefill;
        _prepacked = prepacked;
        if (contract.NumHiddenLayers != config.NumHiddenLayers || contract.NumKeyValueHeads != config.NumKeyValueHeads
            || contract.HeadSize != config.HeadSize || contract.VocabSize != config.VocabSize)
            throw new InvalidDataException($"{directory}: {StaticKvContract.FileName} and genai_config.json disagree on the model's shape.");
        ValidateStatic(Path.Combine(directory, contract.DecodeFile), decode, contract, 1);
        ValidateStatic(Path.Combine(directory, contract.PrefillFile), prefill, contract, contract.PrefillChunk);
        KvElementType = decode.InputMetadata[GenAiConfig.ForLayer(contract.PastKeyNames, 0)].ElementDataType;
        if (KvElementType is not (TensorElementType.Float or TensorElementType.Float16))
            throw new InvalidDataException($"{directory}: KV cache element type {KvElementType} is not supported (float or float16).");
    }

    /// <summary>Checks that a static-kv-v1 graph has exactly the inputs, outputs and static shapes the contract states.</summary>
    private static void ValidateStatic(string file, InferenceSession session, StaticKvContract c, int s)
    {
        void Expect(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, params long[] shape)
        {
            if (!metadata.TryGetValue(name, out var m))
                throw new InvalidDataException($"{file}: {StaticKvContract.FileName} names '{name}', which the graph lacks.");
            var dims = m.Dimensions.Select(d => (long)d).ToArray();
            if (!dims.SequenceEqual(shape))
                throw new InvalidDataException($"{file}: '{name}' has shape [{string.Join(", ", dims)}], the contract says [{string.Join(", ", shape)}].");
        }
        Expect(session.InputMetadata, c.InputIdsName, 1, s);
        Expect(session.InputMetadata, c.PositionIdsName, 1, s);
        Expect(session.InputMetadata, c.AttentionBiasName, 1, 1, s, c.MaxLength + s);
        Expect(session.OutputMetadata, c.LogitsName, 1, 1, c.VocabSize);
        if (s > 1) Expect(session.InputMetadata, c.LogitsIndexName, 1);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            Expect(session.InputMetadata, GenAiConfig.ForLayer(c.PastKeyNames, i), 1, c.NumKeyValueHeads, c.MaxLength, c.HeadSize);
            Expect(session.InputMetadata, GenAiConfig.ForLayer(c.PastValueNames, i), 1, c.NumKeyValueHeads, c.MaxLength, c.HeadSize);
            Expect(session.OutputMetadata, GenAiConfig.ForLayer(c.PresentKeyNames, i), 1, c.NumKeyValueHeads, s, c.HeadSize);
            Expect(session.OutputMetadata, GenAiConfig.ForLayer(c.PresentValueNames, i), 1, c.NumKeyValueHeads, s, c.HeadSize);
        }
        int expectedInputs = (s > 1 ? 4 : 3) + 2 * c.NumHiddenLayers;
        if (session.InputMetadata.Count != expectedInputs)
            throw new InvalidDataException($"{file}: the graph has {session.InputMetadata.Count} inputs; the static-kv-v1 contract feeds {expectedInputs}.");
        if (session.OutputMetadata[c.LogitsName].ElementDataType != TensorElementType.Float)
            throw new InvalidDataException($"{file}: '{c.LogitsName}' must be float32.");
    }

    private DecoderModel(string directory, GenAiConfig config, InferenceSession session)
    {
        Directory = directory;
        Config = config;
        _session = session;
        var expectedInputs = new HashSet<string>(StringComparer.Ordinal) { config.InputIdsName, config.AttentionMaskName };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            expectedInputs.Add(GenAiConfig.ForLayer(config.PastKeyNames, i));
            expectedInputs.Add(GenAiConfig.ForLayer(config.PastValueNames, i));
        }
        var unsupported = session.InputMetadata.Keys.Where(k => !expectedInputs.Contains(k)).ToArray();
        if (unsupported.Length > 0)
            throw new InvalidDataException(
                $"{directory}: the model has inputs OnnxLlm does not feed yet ({string.Join(", ", unsupported)}); " +
                "export the checkpoint with `onnxllm export` to get a folder OnnxLlm runs.");
        var missing = expectedInputs.Where(k => !session.InputMetadata.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{directory}: genai_config.json names inputs the model lacks: {string.Join(", ", missing)}.");
        if (!session.OutputMetadata.TryGetValue(config.LogitsName, out var logits) || logits.ElementDataType != TensorElementType.Float)
            throw new InvalidDataException(
                $"{directory}: output '{config.LogitsName}' must exist and be float32 (found {(logits is null ? "none" : logits.ElementDataType.ToString())}).");
        var pastKey = session.InputMetadata[GenAiConfig.ForLayer(config.PastKeyNames, 0)];
        KvElementType = pastKey.ElementDataType;
        if (KvElementType is not (TensorElementType.Float or TensorElementType.Float16))
            throw new InvalidDataException($"{directory}: KV cache element type {KvElementType} is not supported (float or float16).");
        // Our exporter derives total_sequence_length from the mask's contents, which lets a state bind one
        // fixed-width mask for a whole generation; other folders get a mask exactly as wide as the sequence.
        CountsAttentionMask = session.ModelMetadata.CustomMetadataMap.TryGetValue(GraphMetadata.AttentionMaskKey, out var mask) && mask == GraphMetadata.AttentionMaskCounted;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The folder's genai_config.json.</summary>
    public GenAiConfig Config { get; }

    /// <summary>Element type of the KV cache (float or float16).</summary>
    public TensorElementType KvElementType { get; }

    /// <summary>Whether the graph reads the sequence length from the mask's ones rather than its width.</summary>
    internal bool CountsAttentionMask { get; }

    internal InferenceSession Session => _session;

    /// <summary>The prefill-chunk session of a static-kv-v1 folder; null otherwise.</summary>
    internal InferenceSession? PrefillSession => _prefillSession;

    /// <summary>The folder's static-kv-v1 contract (coreml export target); null for GenAI-style folders.</summary>
    public StaticKvContract? StaticContract { get; }

    /// <summary>Loads a model folder (genai_config.json + ONNX file).</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="sessionOptions">ONNX Runtime session options (execution provider, threads); the model does not dispose them.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">genai_config.json or the ONNX file is missing.</exception>
    /// <exception cref="InvalidDataException">The config or the ONNX file is malformed, or the config names something this loop does not run (a GenAI-builder field, named in the message).</exception>
    public static DecoderModel Load(string directory, SessionOptions sessionOptions)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model folder not found: {directory}");
        string configPath = Path.Combine(directory, ModelFolderFiles.GenAiConfig);
        var config = GenAiConfig.Load(configPath);
        string contractPath = Path.Combine(directory, StaticKvContract.FileName);
        Backends.GenAiConfigSupport.CheckForOurLoop(config, configPath, staticKv: File.Exists(contractPath));
        if (File.Exists(contractPath))
            return LoadStatic(directory, config, StaticKvContract.Load(contractPath), sessionOptions);
        string onnxPath = Path.Combine(directory, config.DecoderFileName);
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"Model file not found: {onnxPath} (named by genai_config.json).", onnxPath);
        InferenceSession session;
        try
        {
            session = new InferenceSession(onnxPath, sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"{onnxPath}: ONNX Runtime could not load the model: {ex.Message}", ex);
        }
        try
        {
            return new DecoderModel(directory, config, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static DecoderModel LoadStatic(string directory, GenAiConfig config, StaticKvContract contract, SessionOptions sessionOptions)
    {
        // Both graphs read the same weights; sharing prepacked copies keeps CPU-EP memory at one set.
        var prepacked = new PrePackedWeightsContainer();
        InferenceSession? decode = null, prefill = null;
        try
        {
            decode = OpenSession(Path.Combine(directory, contract.DecodeFile), sessionOptions, prepacked);
            prefill = OpenSession(Path.Combine(directory, contract.PrefillFile), sessionOptions, prepacked);
            return new DecoderModel(directory, config, contract, decode, prefill, prepacked);
        }
        catch
        {
            decode?.Dispose();
            prefill?.Dispose();
            prepacked.Dispose();
            throw;
        }
    }

    private static InferenceSession OpenSession(string onnxPath, SessionOptions sessionOptions, PrePackedWeightsContainer prepacked)
    {
        if (!File.Exists(onnxPath))
            throw new FileNotFoundException($"Model file not found: {onnxPath} (named by {StaticKvContract.FileName}).", onnxPath);
        try
        {
            return new InferenceSession(onnxPath, sessionOptions, prepacked);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidDataException($"{onnxPath}: ONNX Runtime could not load the model: {ex.Message}", ex);
        }
    }

    /// <summary>Creates a sequence state whose KV cache holds up to <paramref name="capacity"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity is not within 1..context length.</exception>
    public IDecoderState CreateState(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Config.MaxSequenceLength);
        if (StaticContract is { } contract)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, contract.MaxLength);
            return new StaticDecoderState(this, capacity);
        }
        return new DecoderState(this, capacity);
    }

    /// <summary>
    /// Creates the KV slots the batch scheduler runs sequences in: <paramref name="slotCount"/> sequences of up to the
    /// context length each, decoded together where the graph allows (see <see cref="Slots.ISequenceSlots"/>).
    /// </summary>
    internal Slots.ISequenceSlots CreateSlots(int slotCount)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        return StaticContract is null
            ? new Slots.BatchedKvSlots(this, slotCount, Config.MaxSequenceLength)
            : new Slots.StaticKvSlots(this, slotCount);
    }

    private bool _disposed;

    /// <summary>Releases the native session.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
        _prefillSession?.Dispose();
        _prepacked?.Dispose();
    }
}
