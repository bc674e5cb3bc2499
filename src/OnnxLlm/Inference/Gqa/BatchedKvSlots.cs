using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Inference.Slots;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Inference.Gqa;

/// <summary>
/// Slots over a GenAI-style graph (GroupQueryAttention with past and present sharing one buffer). Each layer's keys
/// and values live in one <c>[slots, kv_heads, capacity, head_dim]</c> buffer. A decode step over slots 0..n−1 is one
/// batched run: the attention mask's row b holds slot b's length, GroupQueryAttention reads a per-row
/// <c>seqlens_k</c> from it, writes each row's new key at that row's own position and attends over that row's length
/// only, so sequences of different lengths decode together. Prompts run per slot through a batch-1 view of the slot's
/// contiguous block (GroupQueryAttention takes several new tokens with a past only at batch 1).
/// A slot in the decoded range that is not decoding (empty, or between prefill chunks) rides along as a padding row:
/// it writes one throw-away position just past its length, which its next token overwrites, and its length stays.
/// Decode steps allocate nothing managed: the bindings for every batch width are made once.
/// </summary>
internal sealed unsafe class BatchedKvSlots : ISequenceSlots
{
    private readonly GqaDecoderModel _model;
    private readonly GenAiConfig _config;
    private readonly int _vocab;
    private readonly int _rowBytes;
    private readonly long _slotBytes;
    private readonly NativeBuffer[] _keys;
    private readonly NativeBuffer[] _values;
    private readonly int[] _lengths;
    private readonly long[] _mask;
    private readonly long[] _ids;
    private readonly float[] _logits;
    private readonly bool[] _decoding;
    private readonly RunOptions _runOptions = new();
    private readonly List<IDisposable> _owned = [];
    private readonly OrtIoBinding?[] _decodeBindings;
    private readonly OrtValue?[] _slotViews;
    private OrtIoBinding? _prefillBinding;
    private bool _disposed;

    public BatchedKvSlots(GqaDecoderModel model, int slotCount, int slotCapacity)
    {
        _model = model;
        _config = model.Config;
        SlotCount = slotCount;
        SlotCapacity = slotCapacity;
        _vocab = _config.VocabSize;
        int elementSize = model.KvElementType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16 ? 2 : 4;
        _rowBytes = _config.HeadSize * elementSize;
        _slotBytes = (long)_config.NumKeyValueHeads * slotCapacity * _rowBytes;
        BytesPerToken = 2L * _config.NumHiddenLayers * _config.NumKeyValueHeads * _rowBytes;
        _keys = new NativeBuffer[_config.NumHiddenLayers];
        _values = new NativeBuffer[_config.NumHiddenLayers];
        try
        {
            long bufferBytes = checked(_slotBytes * slotCount);
            for (int i = 0; i < _keys.Length; i++)
            {
                _keys[i] = new NativeBuffer(bufferBytes);
                _values[i] = new NativeBuffer(bufferBytes);
            }
        }
        catch (Exception ex) when (ex is OutOfMemoryException or OverflowException)
        {
            Dispose();
            // Address space, not memory: pages are only mapped as sequences reach them. Failing here means the
            // folder's context length or the slot count is beyond what this process can even reserve.
            throw new InvalidOperationException(
                $"{model.Directory}: KV slots for {slotCount} sequences of {slotCapacity} tokens (genai_config.json " +
                $"context_length) need {(double)BytesPerToken * slotCount * slotCapacity / (1L << 30):0.#} GiB of address space, " +
                "more than this process can reserve; lower OnnxLlmOptions.MaxConcurrentGenerations or export with a smaller --max-length.", ex);
        }
        catch
        {
            Dispose();
            throw;
        }
        _lengths = new int[slotCount];
        _mask = new long[(long)slotCount * slotCapacity];
        _ids = new long[slotCount];
        _logits = new float[(long)slotCount * _vocab];
        _decoding = new bool[slotCount];
        _decodeBindings = new OrtIoBinding?[slotCount];
        _slotViews = new OrtValue?[slotCount * _config.NumHiddenLayers * 2];
    }

    public int SlotCount { get; }

    public int SlotCapacity { get; }

    public long BytesPerToken { get; }

    public int Length(int slot) => _lengths[slot];

    public Span<float> Logits(int slot) => _logits.AsSpan(slot * _vocab, _vocab);

    public void Truncate(int slot, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _lengths[slot]);
        MaskRow(slot).Slice(length, _lengths[slot] - length).Clear();
        _lengths[slot] = length;
    }

    public void Prefill(int slot, ReadOnlySpan<int> tokenIds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokenIds.IsEmpty) throw new ArgumentException("At least one token is required.", nameof(tokenIds));
        int past = _lengths[slot], count = tokenIds.Length;
        EnsureRoom(slot, count);
        var ids = new long[count];
        for (int i = 0; i < count; i++) ids[i] = tokenIds[i];
        var binding = _prefillBinding ??= Own(_model.Session.CreateIoBinding());
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, count]);
        binding.BindInput(_config.InputIdsName, idsValue);
        var row = MaskRow(slot);
        row.Slice(past, count).Fill(1);
        // Our exporter counts the mask's ones, so the slot's whole row can be bound; other graphs take the mask's width as the length.
        int width = _model.CountsAttentionMask ? SlotCapacity : past + count;
        using var mask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _mask.AsMemory(slot * SlotCapacity, width), [1, width]);
        binding.BindInput(_config.AttentionMaskName, mask);
        binding.ClearBoundOutputs();
        for (int layer = 0; layer < _config.NumHiddenLayers; layer++)
        {
            var (key, value) = SlotView(slot, layer);
            binding.BindInput(DecoderIoNames.ForLayer(_config.PastKeyNames, layer), key);
            binding.BindInput(DecoderIoNames.ForLayer(_config.PastValueNames, layer), value);
            binding.BindOutput(DecoderIoNames.ForLayer(_config.PresentKeyNames, layer), key);
            binding.BindOutput(DecoderIoNames.ForLayer(_config.PresentValueNames, layer), value);
        }
        // [1, 1, vocab] from our graphs (last position only), [1, S, vocab] from others: keep the last row.
        binding.BindOutputToDevice(_config.LogitsName, OrtMemoryInfo.DefaultInstance);
        try
        {
            _model.Session.RunWithBinding(_runOptions, binding);
        }
        catch
        {
            row.Slice(past, count).Clear();
            throw;
        }
        using (var outputs = binding.GetOutputValues())
        {
            var logits = outputs.First(v => v.GetTensorTypeAndShape().Shape is [_, _, _]).GetTensorDataAsSpan<float>();
            logits.Slice(logits.Length - _vocab, _vocab).CopyTo(Logits(slot));
        }
        _lengths[slot] = past + count;
    }

    public void Decode(ReadOnlySpan<int> slots, ReadOnlySpan<int> tokenIds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (slots.Length != tokenIds.Length) throw new ArgumentException("One token per slot.", nameof(tokenIds));
        if (slots.IsEmpty) return;
        if (!_model.CountsAttentionMask)
        {
            // A mask as wide as the longest row would need every row re-laid out per step; such graphs decode per slot.
            for (int i = 0; i < slots.Length; i++) Prefill(slots[i], tokenIds.Slice(i, 1));
            return;
        }
        int width = slots[^1] + 1;
        for (int i = 0; i < slots.Length; i++)
        {
            EnsureRoom(slots[i], 1);
            _decoding[slots[i]] = true;
            _ids[slots[i]] = tokenIds[i];
        }
        for (int b = 0; b < width; b++)
        {
            if (!_decoding[b])
            {
                if (_lengths[b] >= SlotCapacity)
                    throw new InvalidOperationException($"Slot {b} is full and cannot ride along in a decode step.");
                _ids[b] = 0;
            }
            _mask[(long)b * SlotCapacity + _lengths[b]] = 1;
        }
        try
        {
            _model.Session.RunWithBinding(_runOptions, DecodeBinding(width));
        }
        catch
        {
            for (int b = 0; b < width; b++) _mask[(long)b * SlotCapacity + _lengths[b]] = 0;
            Array.Clear(_decoding);
            throw;
        }
        for (int b = 0; b < width; b++)
        {
            if (_decoding[b]) _lengths[b]++;
            else _mask[(long)b * SlotCapacity + _lengths[b]] = 0; // padding row: its throw-away position stays unseen
            _decoding[b] = false;
        }
    }

    public void Move(int from, int to)
    {
        int length = _lengths[from];
        for (int layer = 0; layer < _keys.Length; layer++)
        {
            KvRows.Copy(SlotStart(_keys[layer], from), SlotCapacity, SlotStart(_keys[layer], to), SlotCapacity, _config.NumKeyValueHeads, length, _rowBytes);
            KvRows.Copy(SlotStart(_values[layer], from), SlotCapacity, SlotStart(_values[layer], to), SlotCapacity, _config.NumKeyValueHeads, length, _rowBytes);
        }
        Truncate(to, 0);
        MaskRow(to)[..length].Fill(1);
        _lengths[to] = length;
        Logits(from).CopyTo(Logits(to));
        Truncate(from, 0);
    }

    public KvSnapshot Save(int slot, int[] tokens)
    {
        int length = tokens.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _lengths[slot]);
        var keys = new byte[_keys.Length][];
        var values = new byte[_keys.Length][];
        for (int layer = 0; layer < _keys.Length; layer++)
        {
            keys[layer] = GC.AllocateUninitializedArray<byte>(checked((int)((long)_config.NumKeyValueHeads * length * _rowBytes)));
            values[layer] = GC.AllocateUninitializedArray<byte>(keys[layer].Length);
            fixed (byte* k = keys[layer], v = values[layer])
            {
                KvRows.Copy(SlotStart(_keys[layer], slot), SlotCapacity, k, length, _config.NumKeyValueHeads, length, _rowBytes);
                KvRows.Copy(SlotStart(_values[layer], slot), SlotCapacity, v, length, _config.NumKeyValueHeads, length, _rowBytes);
            }
        }
        return new KvSnapshot(tokens, keys, values);
    }

    public void Restore(int slot, KvSnapshot snapshot, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, snapshot.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, SlotCapacity);
        for (int layer = 0; layer < _keys.Length; layer++)
        {
            fixed (byte* k = snapshot.Keys[layer], v = snapshot.Values[layer])
            {
                KvRows.Copy(k, snapshot.Length, SlotStart(_keys[layer], slot), SlotCapacity, _config.NumKeyValueHeads, length, _rowBytes);
                KvRows.Copy(v, snapshot.Length, SlotStart(_values[layer], slot), SlotCapacity, _config.NumKeyValueHeads, length, _rowBytes);
            }
        }
        Truncate(slot, 0);
        MaskRow(slot)[..length].Fill(1);
        _lengths[slot] = length;
    }

    private Span<long> MaskRow(int slot) => _mask.AsSpan(slot * SlotCapacity, SlotCapacity);

    private byte* SlotStart(NativeBuffer buffer, int slot) => buffer.Pointer + slot * _slotBytes;

    private (OrtValue Key, OrtValue Value) SlotView(int slot, int layer)
    {
        int index = (slot * _config.NumHiddenLayers + layer) * 2;
        long[] shape = [1, _config.NumKeyValueHeads, SlotCapacity, _config.HeadSize];
        var key = _slotViews[index] ??= Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _model.KvElementType, shape,
            (IntPtr)SlotStart(_keys[layer], slot), _slotBytes));
        var value = _slotViews[index + 1] ??= Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _model.KvElementType, shape,
            (IntPtr)SlotStart(_values[layer], slot), _slotBytes));
        return (key, value);
    }

    /// <summary>The binding for a decode step over slots 0..width−1, made on first use and kept.</summary>
    private OrtIoBinding DecodeBinding(int width)
    {
        if (_decodeBindings[width - 1] is { } existing) return existing;
        var binding = Own(_model.Session.CreateIoBinding());
        binding.BindInput(_config.InputIdsName, Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ids.AsMemory(0, width), [width, 1])));
        binding.BindInput(_config.AttentionMaskName, Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _mask.AsMemory(0, width * SlotCapacity), [width, SlotCapacity])));
        long[] shape = [width, _config.NumKeyValueHeads, SlotCapacity, _config.HeadSize];
        for (int layer = 0; layer < _config.NumHiddenLayers; layer++)
        {
            var key = Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _model.KvElementType, shape, (IntPtr)_keys[layer].Pointer, _slotBytes * width));
            var value = Own(OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, _model.KvElementType, shape, (IntPtr)_values[layer].Pointer, _slotBytes * width));
            binding.BindInput(DecoderIoNames.ForLayer(_config.PastKeyNames, layer), key);
            binding.BindInput(DecoderIoNames.ForLayer(_config.PastValueNames, layer), value);
            binding.BindOutput(DecoderIoNames.ForLayer(_config.PresentKeyNames, layer), key);
            binding.BindOutput(DecoderIoNames.ForLayer(_config.PresentValueNames, layer), value);
        }
        binding.BindOutput(_config.LogitsName, Own(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _logits.AsMemory(0, width * _vocab), [width, 1, _vocab])));
        return _decodeBindings[width - 1] = binding;
    }

    private void EnsureRoom(int slot, int tokens)
    {
        if (_lengths[slot] + tokens > SlotCapacity)
            throw new InvalidOperationException(
                $"The sequence would grow to {_lengths[slot] + tokens} tokens, beyond the slot capacity of {SlotCapacity}.");
    }

    private T Own<T>(T value) where T : IDisposable
    {
        _owned.Add(value);
        return value;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Bindings and views first: they point into the native buffers.
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _owned.Clear();
        _runOptions.Dispose();
        foreach (var b in _keys) b?.Dispose();
        foreach (var b in _values) b?.Dispose();
    }
}
