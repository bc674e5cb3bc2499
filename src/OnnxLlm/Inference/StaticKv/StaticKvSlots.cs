using OnnxLlm.Inference.Slots;

namespace OnnxLlm.Inference.StaticKv;

/// <summary>
/// Slots over a static-kv-v1 folder (the coreml target). Its graphs have batch 1 by contract, so each slot is its own
/// <see cref="StaticDecoderState"/> and a decode step runs the slots one after another; prefix reuse copies rows
/// into and out of the state's host-owned KV buffers. States are created when a slot is first used.
/// </summary>
internal sealed unsafe class StaticKvSlots : ISequenceSlots
{
    private readonly StaticKvDecoderModel _model;
    private readonly StaticDecoderState?[] _states;
    private readonly int _kvHeads;
    private readonly int _rowBytes;

    public StaticKvSlots(StaticKvDecoderModel model, int slotCount)
    {
        var contract = model.StaticContract;
        _model = model;
        _states = new StaticDecoderState?[slotCount];
        SlotCapacity = model.MaxSequenceLength;
        _kvHeads = contract.NumKeyValueHeads;
        _rowBytes = contract.HeadSize * (model.KvElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16 ? 2 : 4);
        BytesPerToken = 2L * contract.NumHiddenLayers * _kvHeads * _rowBytes;
    }

    public int SlotCount => _states.Length;

    public int SlotCapacity { get; }

    public long BytesPerToken { get; }

    public int Length(int slot) => _states[slot]?.Length ?? 0;

    public Span<float> Logits(int slot) => State(slot).MutableLogits;

    public void Truncate(int slot, int length)
    {
        if (_states[slot] is { } state) state.SetLength(Math.Min(length, state.Length));
    }

    public void Prefill(int slot, ReadOnlySpan<int> tokenIds) => State(slot).Prefill(tokenIds);

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokenIds)
    {
        if (slots.Length != tokenIds.Length) throw new ArgumentException("One token per slot.", nameof(tokenIds));
        for (int i = 0; i < slots.Length; i++) State(slots[i]).Decode(tokenIds[i]);
    }

    public void Move(int from, int to) => (_states[from], _states[to]) = (_states[to], _states[from]);

    public KvSnapshot Save(int slot, int[] tokens)
    {
        var state = State(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens.Length, state.Length);
        int layers = state.PastKeys.Length, length = tokens.Length;
        var keys = new byte[layers][];
        var values = new byte[layers][];
        for (int layer = 0; layer < layers; layer++)
        {
            keys[layer] = GC.AllocateUninitializedArray<byte>(checked(_kvHeads * length * _rowBytes));
            values[layer] = GC.AllocateUninitializedArray<byte>(keys[layer].Length);
            fixed (byte* sk = state.PastKeys[layer].Bytes, sv = state.PastValues[layer].Bytes, k = keys[layer], v = values[layer])
            {
                KvRows.Copy(sk, state.BufferRows, k, length, _kvHeads, length, _rowBytes);
                KvRows.Copy(sv, state.BufferRows, v, length, _kvHeads, length, _rowBytes);
            }
        }
        return new KvSnapshot(tokens, keys, values);
    }

    public void Restore(int slot, KvSnapshot snapshot, int length)
    {
        var state = State(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, snapshot.Length);
        for (int layer = 0; layer < state.PastKeys.Length; layer++)
        {
            fixed (byte* k = snapshot.Keys[layer], v = snapshot.Values[layer], dk = state.PastKeys[layer].Bytes, dv = state.PastValues[layer].Bytes)
            {
                KvRows.Copy(k, snapshot.Length, dk, state.BufferRows, _kvHeads, length, _rowBytes);
                KvRows.Copy(v, snapshot.Length, dv, state.BufferRows, _kvHeads, length, _rowBytes);
            }
        }
        state.SetLength(length);
    }

    private StaticDecoderState State(int slot) => _states[slot] ??= (StaticDecoderState)_model.CreateState(SlotCapacity);

    public void Dispose()
    {
        foreach (var state in _states) state?.Dispose();
        Array.Clear(_states);
    }
}
