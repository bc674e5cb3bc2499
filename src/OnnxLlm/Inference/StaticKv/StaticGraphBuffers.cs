using Microsoft.ML.OnnxRuntime;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Inference.StaticKv;

/// <summary>
/// The inputs and outputs of one static-kv-v1 graph (S new tokens), allocated and bound once: ids, positions,
/// additive mask, (prefill) the logits row, new K/V rows and logits, plus the state's KV buffers as the past inputs. A run then allocates nothing.
/// </summary>
internal sealed class StaticGraphBuffers : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public StaticGraphBuffers(InferenceSession session, StaticKvContract contract, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType kvType,
        int sequenceLength, PinnedTensor[] pastKeys, PinnedTensor[] pastValues, float[] logits)
    {
        Session = session;
        S = sequenceLength;
        int layers = contract.NumHiddenLayers, kvHeads = contract.NumKeyValueHeads, headSize = contract.HeadSize;
        Binding = session.CreateIoBinding();
        _owned.Add(Binding);
        try
        {
            Ids = new long[S];
            Positions = new long[S];
            Bind(contract.InputIdsName, OrtValue.CreateTensorValueFromMemory(Ids, [1, S]), input: true);
            Bind(contract.PositionIdsName, OrtValue.CreateTensorValueFromMemory(Positions, [1, S]), input: true);
            Bias = Own(new PinnedTensor(kvType, [1, 1, S, contract.MaxLength + S]));
            Binding.BindInput(contract.AttentionBiasName, Bias.Value);
            PresentKeys = new PinnedTensor[layers];
            PresentValues = new PinnedTensor[layers];
            for (int i = 0; i < layers; i++)
            {
                Binding.BindInput(DecoderIoNames.ForLayer(contract.PastKeyNames, i), pastKeys[i].Value);
                Binding.BindInput(DecoderIoNames.ForLayer(contract.PastValueNames, i), pastValues[i].Value);
                PresentKeys[i] = Own(new PinnedTensor(kvType, [1, kvHeads, S, headSize]));
                PresentValues[i] = Own(new PinnedTensor(kvType, [1, kvHeads, S, headSize]));
                Binding.BindOutput(DecoderIoNames.ForLayer(contract.PresentKeyNames, i), PresentKeys[i].Value);
                Binding.BindOutput(DecoderIoNames.ForLayer(contract.PresentValueNames, i), PresentValues[i].Value);
            }
            if (S > 1)
            {
                LogitsIndex = new long[1];
                Bind(contract.LogitsIndexName, OrtValue.CreateTensorValueFromMemory(LogitsIndex, [1]), input: true);
            }
            // Both graphs output one row of logits, written straight into the state's logits array.
            Bind(contract.LogitsName, OrtValue.CreateTensorValueFromMemory(logits, [1, 1, contract.VocabSize]), input: false);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public InferenceSession Session { get; }

    /// <summary>Runs the graph on the bound buffers.</summary>
    public void Run(RunOptions options) => Session.RunWithBinding(options, Binding);

    /// <summary>New tokens per run.</summary>
    public int S { get; }

    public OrtIoBinding Binding { get; }

    public long[] Ids { get; }

    public long[] Positions { get; }

    /// <summary>Additive mask [1, 1, S, max_length + S].</summary>
    public PinnedTensor Bias { get; }

    /// <summary>New key rows per layer, [1, kv_heads, S, head_size].</summary>
    public PinnedTensor[] PresentKeys { get; }

    /// <summary>New value rows per layer.</summary>
    public PinnedTensor[] PresentValues { get; }

    /// <summary>Prefill graph only: the chunk row whose logits are computed; null for the decode graph.</summary>
    public long[]? LogitsIndex { get; }

    private T Own<T>(T value) where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }

    private void Bind(string name, OrtValue value, bool input)
    {
        _owned.Add(value);
        if (input) Binding.BindInput(name, value);
        else Binding.BindOutput(name, value);
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
    }
}
