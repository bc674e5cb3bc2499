using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Inference.Gqa;

/// <summary>
/// One sequence's decoding state: a KV cache preallocated for <see cref="Capacity"/> tokens and bound as
/// both past and present (GroupQueryAttention writes new keys in place, so no step copies the cache), plus
/// input and output buffers bound once and reused, so a decode step allocates nothing managed.
/// Not thread-safe: one state serves one generation at a time.
/// </summary>
internal sealed class DecoderState : IDecoderState
{
    private readonly GqaDecoderModel _model;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly OrtValue[] _keys;
    private readonly OrtValue[] _values;
    private readonly long[] _mask;
    private readonly OrtValue _maskValue;
    private readonly long[] _decodeIds = new long[1];
    private readonly OrtValue _decodeIdsValue;
    private readonly float[] _logits;
    private readonly OrtValue _decodeLogitsValue;
    private bool _decodeBound;
    private bool _disposed;
    private long _runTicks;

    internal DecoderState(GqaDecoderModel model, int capacity)
    {
        _model = model;
        Capacity = capacity;
        var config = model.Config;
        _binding = model.Session.CreateIoBinding();
        long[] kvShape = [1, config.NumKeyValueHeads, capacity, config.HeadSize];
        _keys = new OrtValue[config.NumHiddenLayers];
        _values = new OrtValue[config.NumHiddenLayers];
        try
        {
            for (int i = 0; i < config.NumHiddenLayers; i++)
            {
                _keys[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, model.KvElementType, kvShape);
                _values[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, model.KvElementType, kvShape);
                _binding.BindInput(DecoderIoNames.ForLayer(config.PastKeyNames, i), _keys[i]);
                _binding.BindInput(DecoderIoNames.ForLayer(config.PastValueNames, i), _values[i]);
            }
            _mask = new long[capacity];
            _maskValue = OrtValue.CreateTensorValueFromMemory(_mask, [1, capacity]);
            _decodeIdsValue = OrtValue.CreateTensorValueFromMemory(_decodeIds, [1, 1]);
            _logits = new float[config.VocabSize];
            _decodeLogitsValue = OrtValue.CreateTensorValueFromMemory(_logits, [1, 1, config.VocabSize]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Tokens the KV cache can hold.</summary>
    public int Capacity { get; }

    /// <summary>Tokens processed so far (the next token's position).</summary>
    public int Length { get; private set; }

    /// <summary>Logits of the last processed position (valid until the next call).</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>The same logits, writable, for samplers that adjust them in place (no copy per token).</summary>
    public Span<float> MutableLogits => _logits;

    /// <summary>Forgets the sequence so the state can serve a new one (the cache memory is reused).</summary>
    public void Reset()
    {
        Array.Clear(_mask, 0, Length);
        Length = 0;
    }

    /// <summary>
    /// Runs a prompt chunk through the model, appending it to the cache; returns the logits of its last position.
    /// Call repeatedly to prefill a long prompt in chunks.
    /// </summary>
    /// <exception cref="ArgumentException">The chunk is empty.</exception>
    /// <exception cref="InvalidOperationException">The cache would overflow its capacity.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokenIds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokenIds.IsEmpty) throw new ArgumentException("At least one token is required.", nameof(tokenIds));
        if (tokenIds.Length == 1) return Decode(tokenIds[0]);
        EnsureRoom(tokenIds.Length);

        var ids = new long[tokenIds.Length];
        for (int i = 0; i < ids.Length; i++) ids[i] = tokenIds[i];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        _binding.BindInput(_model.Config.InputIdsName, idsValue);
        _mask.AsSpan(Length, ids.Length).Fill(1);
        using var mask = BindMask(Length + ids.Length);

        // A prompt's logits are [1, S, vocab] (or [1, 1, vocab] from graphs that keep only the last position, as
        // ours do); let ONNX Runtime allocate them and keep only the last row.
        _binding.ClearBoundOutputs();
        BindPresents();
        _binding.BindOutputToDevice(_model.Config.LogitsName, OrtMemoryInfo.DefaultInstance);
        _decodeBound = false;
        RunBound();
        using (var outputs = _binding.GetOutputValues())
        {
            var logits = outputs.First(v => v.GetTensorTypeAndShape().Shape is [_, _, _]).GetTensorDataAsSpan<float>();
            logits.Slice(logits.Length - _logits.Length, _logits.Length).CopyTo(_logits);
        }
        Length += ids.Length;
        return _logits;
    }

    /// <summary>Runs one token through the model; returns the logits of its position. Allocates nothing managed.</summary>
    /// <exception cref="InvalidOperationException">The cache is full.</exception>
    public ReadOnlySpan<float> Decode(int tokenId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureRoom(1);
        if (!_decodeBound)
        {
            _binding.BindInput(_model.Config.InputIdsName, _decodeIdsValue);
            _binding.ClearBoundOutputs();
            BindPresents();
            _binding.BindOutput(_model.Config.LogitsName, _decodeLogitsValue);
            if (_model.CountsAttentionMask) BindMask(0);
            _decodeBound = true;
        }
        _decodeIds[0] = tokenId;
        _mask[Length] = 1;
        if (_model.CountsAttentionMask)
        {
            // Every buffer is already bound and updated in place: this step allocates nothing managed.
            RunBound();
        }
        else
        {
            using var mask = BindMask(Length + 1);
            RunBound();
        }
        Length++;
        return _logits;
    }

    /// <summary>
    /// <see cref="Stopwatch"/> ticks spent inside ONNX Runtime's Run since the state was created, so a caller can
    /// tell how much of a token's time is spent outside the graph. Reading it allocates nothing.
    /// </summary>
    internal long RunTicks => _runTicks;

    private void RunBound()
    {
        long start = Stopwatch.GetTimestamp();
        _model.Session.RunWithBinding(_runOptions, _binding);
        _runTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// Binds the attention mask: the fixed-width buffer when the graph counts ones (no allocation),
    /// otherwise a view exactly <paramref name="total"/> wide, which the caller disposes after the run.
    /// </summary>
    private OrtValue? BindMask(int total)
    {
        if (_model.CountsAttentionMask)
        {
            _binding.BindInput(_model.Config.AttentionMaskName, _maskValue);
            return null;
        }
        var view = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _mask.AsMemory(0, total), [1, total]);
        _binding.BindInput(_model.Config.AttentionMaskName, view);
        return view;
    }

    private void BindPresents()
    {
        var config = _model.Config;
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            _binding.BindOutput(DecoderIoNames.ForLayer(config.PresentKeyNames, i), _keys[i]);
            _binding.BindOutput(DecoderIoNames.ForLayer(config.PresentValueNames, i), _values[i]);
        }
    }

    private void EnsureRoom(int tokens)
    {
        if (Length + tokens > Capacity)
            throw new InvalidOperationException(
                $"The sequence would grow to {Length + tokens} tokens, beyond this state's capacity of {Capacity}.");
    }

    /// <summary>Frees the KV cache and buffers (native memory).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _binding?.Dispose();
        _runOptions.Dispose();
        foreach (var v in _keys) v?.Dispose();
        foreach (var v in _values) v?.Dispose();
        _maskValue?.Dispose();
        _decodeIdsValue?.Dispose();
        _decodeLogitsValue?.Dispose();
    }
}
