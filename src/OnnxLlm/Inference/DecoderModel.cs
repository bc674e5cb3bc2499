using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxLlm.Inference;

/// <summary>
/// An exported decoder loaded into an ONNX Runtime session. It is stateless and thread-safe: each
/// sequence being generated owns a <see cref="DecoderState"/> (its KV cache and bound buffers), and any
/// number of states may run on one model concurrently.
/// </summary>
public sealed class DecoderModel : IDisposable
{
    private readonly InferenceSession _session;

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
        CountsAttentionMask = session.ModelMetadata.CustomMetadataMap.TryGetValue("onnxllm.attention_mask", out var mask) && mask == "counted";
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

    /// <summary>Loads a model folder (genai_config.json + ONNX file).</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="sessionOptions">ONNX Runtime session options (execution provider, threads); the model does not dispose them.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">genai_config.json or the ONNX file is missing.</exception>
    /// <exception cref="InvalidDataException">The config or the ONNX file is malformed.</exception>
    public static DecoderModel Load(string directory, SessionOptions sessionOptions)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(sessionOptions);
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Model folder not found: {directory}");
        var config = GenAiConfig.Load(Path.Combine(directory, "genai_config.json"));
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

    /// <summary>Creates a sequence state whose KV cache holds up to <paramref name="capacity"/> tokens.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Capacity is not within 1..context length.</exception>
    public IDecoderState CreateState(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Config.ContextLength);
        return new DecoderState(this, capacity);
    }

    private bool _disposed;

    /// <summary>Releases the native session.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
    }
}
