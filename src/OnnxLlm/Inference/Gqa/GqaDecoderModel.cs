using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.Inference.Slots;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Inference.Gqa;

/// <summary>
/// A GenAI-style decoder (the <c>cpu</c> export target): one graph whose inputs are the token ids, an attention mask
/// and each layer's past K/V, and whose GroupQueryAttention writes new K/V rows into a buffer shared by past and
/// present. Any number of tokens runs through it, so prefill and decode are the same graph.
/// </summary>
internal sealed class GqaDecoderModel : DecoderModel
{
    private readonly InferenceSession _session;

    private GqaDecoderModel(string directory, GenAiConfig config, InferenceSession session)
        : base(directory, config, PastKeyType(directory, config, session))
    {
        _session = session;
        var expectedInputs = new HashSet<string>(StringComparer.Ordinal) { config.InputIdsName, config.AttentionMaskName };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            expectedInputs.Add(DecoderIoNames.ForLayer(config.PastKeyNames, i));
            expectedInputs.Add(DecoderIoNames.ForLayer(config.PastValueNames, i));
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
        // Our exporter derives total_sequence_length from the mask's contents, which lets a state bind one
        // fixed-width mask for a whole generation; other folders get a mask exactly as wide as the sequence.
        CountsAttentionMask = session.ModelMetadata.CustomMetadataMap.TryGetValue(GraphMetadata.AttentionMaskKey, out var mask)
            && mask == GraphMetadata.AttentionMaskCounted;
    }

    /// <summary>Whether the graph reads the sequence length from the mask's ones rather than its width.</summary>
    internal bool CountsAttentionMask { get; }

    internal override InferenceSession Session => _session;

    /// <summary>Opens the folder's graph (genai_config.json's decoder filename) and checks its inputs against the config.</summary>
    public static GqaDecoderModel Open(string directory, GenAiConfig config, SessionOptions sessionOptions)
    {
        var session = OpenSession(Path.Combine(directory, config.DecoderFileName), ModelFolderFiles.GenAiConfig, sessionOptions);
        try
        {
            return new GqaDecoderModel(directory, config, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static TensorElementType PastKeyType(string directory, GenAiConfig config, InferenceSession session)
    {
        string name = DecoderIoNames.ForLayer(config.PastKeyNames, 0);
        return session.InputMetadata.TryGetValue(name, out var pastKey) ? pastKey.ElementDataType
            : throw new InvalidDataException($"{directory}: genai_config.json names inputs the model lacks: {name}.");
    }

    private protected override IDecoderState CreateStateCore(int capacity) => new DecoderState(this, capacity);

    private protected override ISequenceSlots CreateSlotsCore(int slotCount) => new BatchedKvSlots(this, slotCount, MaxSequenceLength);

    private protected override void DisposeSessions() => _session.Dispose();
}
