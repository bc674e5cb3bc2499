using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.Inference.Slots;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Inference.StaticKv;

/// <summary>
/// A static-kv-v1 decoder (the <c>coreml</c> export target): a one-token decode graph and a fixed-size prefill graph
/// over one weight file, every shape static, the KV buffer of <see cref="StaticKvContract.MaxLength"/> slots an input
/// the host owns, and only the new K/V rows as outputs (see onnxllm_contract.json).
/// </summary>
internal sealed class StaticKvDecoderModel : DecoderModel
{
    private readonly InferenceSession _decode;
    private readonly InferenceSession _prefill;
    private readonly PrePackedWeightsContainer _prepacked;
    private readonly StaticKvContract _contract;

    private StaticKvDecoderModel(string directory, GenAiConfig config, StaticKvContract contract, InferenceSession decode,
        InferenceSession prefill, PrePackedWeightsContainer prepacked)
        : base(directory, config, PastKeyType(directory, contract, decode))
    {
        _contract = contract;
        _decode = decode;
        _prefill = prefill;
        _prepacked = prepacked;
        if (contract.NumHiddenLayers != config.NumHiddenLayers || contract.NumKeyValueHeads != config.NumKeyValueHeads
            || contract.HeadSize != config.HeadSize || contract.VocabSize != config.VocabSize)
            throw new InvalidDataException($"{directory}: {StaticKvContract.FileName} and genai_config.json disagree on the model's shape.");
        Validate(Path.Combine(directory, contract.DecodeFile), decode, contract, 1);
        Validate(Path.Combine(directory, contract.PrefillFile), prefill, contract, contract.PrefillChunk);
    }

    /// <inheritdoc/>
    public override StaticKvContract StaticContract => _contract;

    /// <inheritdoc/>
    public override int MaxSequenceLength => Math.Min(_contract.MaxLength, Config.MaxSequenceLength);

    internal override InferenceSession Session => _decode;

    /// <summary>The prefill-chunk session.</summary>
    internal InferenceSession PrefillSession => _prefill;

    /// <summary>Opens both graphs the contract names, sharing one set of prepacked weights.</summary>
    public static StaticKvDecoderModel Open(string directory, GenAiConfig config, StaticKvContract contract, SessionOptions sessionOptions)
    {
        // Both graphs read the same weights; sharing prepacked copies keeps CPU-EP memory at one set.
        var prepacked = new PrePackedWeightsContainer();
        InferenceSession? decode = null, prefill = null;
        try
        {
            decode = OpenSession(Path.Combine(directory, contract.DecodeFile), StaticKvContract.FileName, sessionOptions, prepacked);
            prefill = OpenSession(Path.Combine(directory, contract.PrefillFile), StaticKvContract.FileName, sessionOptions, prepacked);
            return new StaticKvDecoderModel(directory, config, contract, decode, prefill, prepacked);
        }
        catch
        {
            decode?.Dispose();
            prefill?.Dispose();
            prepacked.Dispose();
            throw;
        }
    }

    private static TensorElementType PastKeyType(string directory, StaticKvContract contract, InferenceSession decode)
    {
        string name = DecoderIoNames.ForLayer(contract.PastKeyNames, 0);
        return decode.InputMetadata.TryGetValue(name, out var pastKey) ? pastKey.ElementDataType
            : throw new InvalidDataException($"{Path.Combine(directory, contract.DecodeFile)}: {StaticKvContract.FileName} names '{name}', which the graph lacks.");
    }

    /// <summary>Checks that a graph has exactly the inputs, outputs and static shapes the contract states for <paramref name="s"/> new tokens.</summary>
    private static void Validate(string file, InferenceSession session, StaticKvContract c, int s)
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
            Expect(session.InputMetadata, DecoderIoNames.ForLayer(c.PastKeyNames, i), 1, c.NumKeyValueHeads, c.MaxLength, c.HeadSize);
            Expect(session.InputMetadata, DecoderIoNames.ForLayer(c.PastValueNames, i), 1, c.NumKeyValueHeads, c.MaxLength, c.HeadSize);
            Expect(session.OutputMetadata, DecoderIoNames.ForLayer(c.PresentKeyNames, i), 1, c.NumKeyValueHeads, s, c.HeadSize);
            Expect(session.OutputMetadata, DecoderIoNames.ForLayer(c.PresentValueNames, i), 1, c.NumKeyValueHeads, s, c.HeadSize);
        }
        int expectedInputs = (s > 1 ? 4 : 3) + 2 * c.NumHiddenLayers;
        if (session.InputMetadata.Count != expectedInputs)
            throw new InvalidDataException($"{file}: the graph has {session.InputMetadata.Count} inputs; the static-kv-v1 contract feeds {expectedInputs}.");
        if (session.OutputMetadata[c.LogitsName].ElementDataType != TensorElementType.Float)
            throw new InvalidDataException($"{file}: '{c.LogitsName}' must be float32.");
    }

    private protected override IDecoderState CreateStateCore(int capacity) => new StaticDecoderState(this, capacity);

    private protected override ISequenceSlots CreateSlotsCore(int slotCount) => new StaticKvSlots(this, slotCount);

    private protected override void DisposeSessions()
    {
        _decode.Dispose();
        _prefill.Dispose();
        _prepacked.Dispose();
    }
}
