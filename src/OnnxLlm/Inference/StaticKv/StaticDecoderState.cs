using Microsoft.ML.OnnxRuntime;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Inference.StaticKv;

/// <summary>
/// One sequence's state for a <c>static-kv-v1</c> model folder (the coreml export target), on any execution
/// provider. The host owns a KV buffer of the contract's max length per layer, bound as the graphs' past input;
/// after each run it copies the graph's new K/V rows into the buffer at their positions. It also builds the
/// positions and the additive mask (0 = attend; a large negative value hides empty slots, later tokens and
/// padding). Prompts run in fixed chunks through the prefill graph (the last chunk padded, its padding masked);
/// single tokens through the decode graph. Every buffer is bound once, so a decode step allocates nothing managed.
/// Not thread-safe: one state serves one generation at a time.
/// </summary>
internal sealed class StaticDecoderState : IDecoderState
{
    private readonly StaticKvDecoderModel _model;
    private readonly StaticKvContract _contract;
    private readonly RunOptions _runOptions = new();
    private readonly PinnedTensor[] _pastKeys;
    private readonly PinnedTensor[] _pastValues;
    private readonly float[] _logits;
    private readonly StaticGraphBuffers _decode;
    private StaticGraphBuffers? _prefill;
    private int _decodeVisible; // leading past columns of the decode mask currently set to "attend"
    private bool _disposed;

    internal StaticDecoderState(StaticKvDecoderModel model, int capacity)
    {
        _model = model;
        _contract = model.StaticContract;
        Capacity = capacity;
        var type = model.KvElementType;
        long[] kvShape = [1, _contract.NumKeyValueHeads, _contract.MaxLength, _contract.HeadSize];
        _pastKeys = new PinnedTensor[_contract.NumHiddenLayers];
        _pastValues = new PinnedTensor[_contract.NumHiddenLayers];
        _logits = new float[_contract.VocabSize];
        try
        {
            for (int i = 0; i < _contract.NumHiddenLayers; i++)
            {
                _pastKeys[i] = new PinnedTensor(type, kvShape);
                _pastValues[i] = new PinnedTensor(type, kvShape);
            }
            _decode = new StaticGraphBuffers(model.Session, _contract, type, 1, _pastKeys, _pastValues, _logits);
            ResetDecodeMask();
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

    /// <summary>The same logits, writable, for samplers that adjust them in place.</summary>
    public Span<float> MutableLogits => _logits;

    /// <summary>Forgets the sequence (buffers are reused; stale slots are hidden by the mask).</summary>
    public void Reset()
    {
        Length = 0;
        ResetDecodeMask();
    }

    /// <summary>Appends a prompt, in prefill-graph chunks; returns the logits of its last position.</summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    /// <exception cref="InvalidOperationException">The cache would overflow its capacity.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokenIds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (tokenIds.IsEmpty) throw new ArgumentException("At least one token is required.", nameof(tokenIds));
        EnsureRoom(tokenIds.Length);
        while (!tokenIds.IsEmpty)
        {
            // A lone token is cheaper through the one-token graph than padded to a whole chunk.
            if (tokenIds.Length == 1) return Decode(tokenIds[0]);
            int count = Math.Min(tokenIds.Length, _contract.PrefillChunk);
            RunPrefillChunk(tokenIds[..count]);
            tokenIds = tokenIds[count..];
        }
        return _logits;
    }

    /// <summary>Runs one token; returns the logits of its position. Allocates nothing managed.</summary>
    /// <exception cref="InvalidOperationException">The cache is full.</exception>
    public ReadOnlySpan<float> Decode(int tokenId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureRoom(1);
        int p = Length;
        if (p > _decodeVisible)
        {
            _decode.Bias.Fill(_decodeVisible, p - _decodeVisible, 0f);
            _decodeVisible = p;
        }
        else if (p < _decodeVisible)
        {
            ResetDecodeMask();
            _decode.Bias.Fill(0, p, 0f);
            _decodeVisible = p;
        }
        _decode.Ids[0] = tokenId;
        _decode.Positions[0] = p;
        _decode.Run(_runOptions);
        StoreNewRows(_decode, p, 1);
        Length = p + 1;
        return _logits;
    }

    private void RunPrefillChunk(ReadOnlySpan<int> tokens)
    {
        var g = _prefill ??= new StaticGraphBuffers(_model.PrefillSession, _contract, _model.KvElementType, _contract.PrefillChunk,
            _pastKeys, _pastValues, _logits);
        int p = Length, real = tokens.Length, s = g.S, width = _contract.MaxLength + s;
        for (int j = 0; j < s; j++)
        {
            g.Ids[j] = j < real ? tokens[j] : 0;
            // Padding rows need some valid table row; their results are discarded.
            g.Positions[j] = j < real ? p + j : p;
        }
        g.Bias.Fill(0, s * width, _contract.MaskedValue);
        for (int j = 0; j < s; j++)
        {
            int row = j * width;
            if (j < real)
            {
                g.Bias.Fill(row, p, 0f);                          // every earlier token in the buffer
                g.Bias.Fill(row + _contract.MaxLength, j + 1, 0f); // this chunk's tokens up to itself
            }
            else
            {
                g.Bias.Fill(row + _contract.MaxLength + j, 1, 0f); // padding sees only itself: finite, discarded
            }
        }
        g.LogitsIndex![0] = real - 1;
        g.Run(_runOptions);
        StoreNewRows(g, p, real);
        Length = p + real;
    }

    /// <summary>Copies the first <paramref name="count"/> new K/V rows of every head into the buffers at <paramref name="position"/>.</summary>
    private void StoreNewRows(StaticGraphBuffers g, int position, int count)
    {
        int rowBytes = _contract.HeadSize * _pastKeys[0].ElementSize;
        for (int i = 0; i < _contract.NumHiddenLayers; i++)
        {
            for (int h = 0; h < _contract.NumKeyValueHeads; h++)
            {
                int src = h * g.S * rowBytes, dst = (h * _contract.MaxLength + position) * rowBytes, bytes = count * rowBytes;
                g.PresentKeys[i].Bytes.AsSpan(src, bytes).CopyTo(_pastKeys[i].Bytes.AsSpan(dst, bytes));
                g.PresentValues[i].Bytes.AsSpan(src, bytes).CopyTo(_pastValues[i].Bytes.AsSpan(dst, bytes));
            }
        }
    }

    /// <summary>Decode mask: every past slot hidden, the new token's own column visible.</summary>
    private void ResetDecodeMask()
    {
        _decode.Bias.Fill(0, _contract.MaxLength, _contract.MaskedValue);
        _decode.Bias.Fill(_contract.MaxLength, 1, 0f);
        _decodeVisible = 0;
    }

    /// <summary>The KV buffers, <c>[1, kv_heads, max_length, head_size]</c> per layer (for copying prefixes in and out).</summary>
    internal PinnedTensor[] PastKeys => _pastKeys;

    /// <inheritdoc cref="PastKeys"/>
    internal PinnedTensor[] PastValues => _pastValues;

    /// <summary>Rows per head in <see cref="PastKeys"/>.</summary>
    internal int BufferRows => _contract.MaxLength;

    /// <summary>
    /// Keeps the first <paramref name="length"/> positions (whose rows the caller may just have written into the buffers)
    /// and forgets the rest; the masks are rebuilt from the length on the next run.
    /// </summary>
    internal void SetLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity);
        Length = length;
    }

    private void EnsureRoom(int tokens)
    {
        if (Length + tokens > Capacity)
            throw new InvalidOperationException(
                $"The sequence would grow to {Length + tokens} tokens, beyond this state's capacity of {Capacity}.");
    }

    /// <summary>Frees the buffers and bindings.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _prefill?.Dispose();
        _decode?.Dispose();
        _runOptions.Dispose();
        foreach (var t in _pastKeys) t?.Dispose();
        foreach (var t in _pastValues) t?.Dispose();
    }
}
