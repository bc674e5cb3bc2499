using System.Collections.Concurrent;
using OnnxLlm.Inference;

namespace OnnxLlm.Generation;

/// <summary>
/// Reuses decoder states (and their KV cache memory) across generations: allocating a cache for every
/// request would cost more than a short answer. A state too small for a request is replaced.
/// </summary>
internal sealed class DecoderStatePool : IDisposable
{
    // Capacities are rounded up so that similar requests share states instead of each growing them a little.
    private const int CapacityGranularity = 256;

    private readonly DecoderModel _model;
    private readonly ConcurrentBag<IDecoderState> _idle = new();
    private bool _disposed;

    public DecoderStatePool(DecoderModel model) => _model = model;

    public IDecoderState Rent(int tokensNeeded)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        while (_idle.TryTake(out var state))
        {
            if (state.Capacity >= tokensNeeded)
            {
                state.Reset();
                return state;
            }
            state.Dispose();
        }
        int capacity = Math.Min(_model.Config.ContextLength,
            (tokensNeeded + CapacityGranularity - 1) / CapacityGranularity * CapacityGranularity);
        return _model.CreateState(capacity);
    }

    public void Return(IDecoderState state)
    {
        if (_disposed) state.Dispose();
        else _idle.Add(state);
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var state)) state.Dispose();
    }
}
