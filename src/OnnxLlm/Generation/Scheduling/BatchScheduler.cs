using Microsoft.Extensions.Logging;
using OnnxLlm.Generation.Caching;
using OnnxLlm.Inference;
using OnnxLlm.Inference.Slots;

namespace OnnxLlm.Generation.Scheduling;

/// <summary>
/// Continuous batching on a thread of its own. Each turn of its loop: admit waiting requests into free slots (each
/// starting from the longest cached prefix of its prompt), run one prefill chunk of the oldest sequence still reading
/// its prompt, then one decode step over every generating sequence at once. Sequences join and leave between steps;
/// a finished, cancelled or failed one leaves at once and its slot's cache goes to the prefix cache. Long prompts are
/// prefilled a chunk per turn, so they never stall the others' streams for more than one chunk.
/// The loop blocks ONNX Runtime's threads, never the thread pool: callers' awaits and a server's writers stay free.
/// </summary>
internal sealed class BatchScheduler : IDisposable
{
    private readonly DecoderModel _model;
    private readonly GenerationEngineOptions _options;
    private readonly PrefixCache? _cache;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly LinkedList<ScheduledSequence> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ScheduledSequence?[] _bySlot;
    private readonly List<ScheduledSequence> _active = []; // admission order: the oldest prefills first
    private readonly int[] _stepSlots;
    private readonly int[] _stepTokens;
    private readonly ScheduledSequence[] _stepSequences;
    private Thread? _thread;
    private ISequenceSlots? _slots;
    private int _running;
    private bool _disposed;
    private double _averageSeconds = 1;
    private long _requests, _promptTokens, _reusedTokens, _decodeSteps, _decodedTokens, _rejected;
    private int _largestBatch;

    public BatchScheduler(DecoderModel model, GenerationEngineOptions options, ILogger logger)
    {
        _model = model;
        _options = options;
        _logger = logger;
        _cache = options.PrefixCacheBytes > 0 ? new PrefixCache(options.PrefixCacheBytes) : null;
        _bySlot = new ScheduledSequence?[options.MaxParallelSequences];
        _stepSlots = new int[options.MaxParallelSequences];
        _stepTokens = new int[options.MaxParallelSequences];
        _stepSequences = new ScheduledSequence[options.MaxParallelSequences];
    }

    /// <summary>Counters since creation.</summary>
    public GenerationStatistics Statistics => new()
    {
        Requests = Interlocked.Read(ref _requests),
        PromptTokens = Interlocked.Read(ref _promptTokens),
        ReusedPromptTokens = Interlocked.Read(ref _reusedTokens),
        DecodeSteps = Interlocked.Read(ref _decodeSteps),
        DecodedTokens = Interlocked.Read(ref _decodedTokens),
        LargestBatch = Volatile.Read(ref _largestBatch),
        Rejected = Interlocked.Read(ref _rejected),
        CachedSequences = _cache?.Count ?? 0,
        CachedBytes = _cache?.Bytes ?? 0,
        CacheEvictions = _cache?.Evictions ?? 0,
    };

    /// <summary>Drops every cached prefix.</summary>
    public void ClearPrefixCache() => _cache?.Clear();

    /// <summary>Queues a sequence; it starts as soon as a slot is free.</summary>
    /// <exception cref="GenerationQueueFullException">Every slot is busy and the queue is full.</exception>
    public void Submit(ScheduledSequence sequence)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running + _queue.Count >= _options.MaxParallelSequences + _options.MaxQueuedRequests)
            {
                Interlocked.Increment(ref _rejected);
                // A place frees when one of the running sequences ends; the queue ahead drains a batch at a time.
                double waves = 1 + (double)_queue.Count / _options.MaxParallelSequences;
                var retry = TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(_averageSeconds * waves), 1, 300));
                throw new GenerationQueueFullException(_running, _queue.Count, retry);
            }
            _queue.AddLast(sequence);
            _thread ??= StartThread();
        }
        _signal.Release();
    }

    private Thread StartThread()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "OnnxLlm batch scheduler" };
        thread.Start();
        return thread;
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                if (!Admit()) break;
                if (_active.Count == 0)
                {
                    _signal.Wait();
                    continue;
                }
                DropCancelled();
                PrefillOneChunk();
                DecodeStep();
            }
        }
        catch (Exception ex)
        {
            // A bug in the loop itself: fail everyone rather than hang them.
            _logger.LogError(ex, "The batch scheduler stopped unexpectedly.");
            foreach (var sequence in _active.ToArray()) Release(sequence, ex, keepCache: false);
            lock (_gate) _disposed = true;
        }
        FailQueued(new ObjectDisposedException(nameof(GenerationEngine), "The generation engine was disposed."));
        foreach (var sequence in _active.ToArray())
            Release(sequence, new ObjectDisposedException(nameof(GenerationEngine), "The generation engine was disposed."), keepCache: false);
        _slots?.Dispose();
    }

    /// <summary>Moves waiting requests into free slots; false once the scheduler is disposed.</summary>
    private bool Admit()
    {
        while (true)
        {
            ScheduledSequence? next;
            lock (_gate)
            {
                if (_disposed) return false;
                for (var node = _queue.First; node is not null;)
                {
                    var after = node.Next;
                    if (node.Value.IsCancelled)
                    {
                        _queue.Remove(node);
                        node.Value.Complete(new OperationCanceledException("Cancelled while waiting for a free sequence slot."));
                    }
                    node = after;
                }
                if (_queue.First is null || _active.Count >= _bySlot.Length) return true;
                next = _queue.First.Value;
                _queue.RemoveFirst();
                _running++;
            }
            Start(next);
        }
    }

    private void Start(ScheduledSequence sequence)
    {
        var slots = _slots ??= _model.CreateSlots(_bySlot.Length);
        int slot = Array.IndexOf(_bySlot, null);
        _bySlot[slot] = sequence;
        _active.Add(sequence);
        int reused = 0;
        try
        {
            // Leave at least one prompt token to run: its logits choose the first new token.
            var (snapshot, length) = _cache?.FindLongestPrefix(sequence.Prompt, sequence.Prompt.Length - 1) ?? (null, 0);
            if (snapshot is not null && length > 0)
            {
                slots.Restore(slot, snapshot, length);
                reused = length;
            }
            else
            {
                slots.Truncate(slot, 0);
            }
            sequence.Admit(slot, reused);
        }
        catch (Exception ex)
        {
            Release(sequence, ex, keepCache: false);
            return;
        }
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _promptTokens, sequence.Prompt.Length);
        Interlocked.Add(ref _reusedTokens, reused);
        _logger.LogDebug("Sequence started in slot {Slot} after {QueueMs:F0} ms in the queue: {Prompt} prompt tokens, {Reused} from the prefix cache.",
            slot, sequence.QueueTime.TotalMilliseconds, sequence.Prompt.Length, reused);
    }

    private void DropCancelled()
    {
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            var sequence = _active[i];
            if (sequence.IsCancelled)
                Release(sequence, new OperationCanceledException("The generation was cancelled."), keepCache: true);
        }
    }

    private void PrefillOneChunk()
    {
        ScheduledSequence? sequence = null;
        foreach (var candidate in _active)
        {
            if (!candidate.IsDecoding)
            {
                sequence = candidate;
                break;
            }
        }
        if (sequence is null) return;
        try
        {
            int offset = sequence.PrefilledTokens;
            int count = Math.Min(_options.PrefillChunkSize, sequence.Prompt.Length - offset);
            _slots!.Prefill(sequence.Slot, sequence.Prompt.AsSpan(offset, count));
            sequence.PrefilledTokens = offset + count;
            if (sequence.PrefilledTokens == sequence.Prompt.Length && sequence.OnLogits(_slots.Logits(sequence.Slot)))
                Release(sequence, null, keepCache: true);
        }
        catch (Exception ex)
        {
            Release(sequence, ex, keepCache: false);
        }
    }

    private void DecodeStep()
    {
        int n = 0;
        for (int slot = 0; slot < _bySlot.Length; slot++)
        {
            if (_bySlot[slot] is { IsDecoding: true } sequence)
            {
                _stepSlots[n] = slot;
                _stepTokens[n] = sequence.PendingToken;
                _stepSequences[n++] = sequence;
            }
        }
        if (n == 0) return;
        try
        {
            _slots!.Decode(_stepSlots.AsSpan(0, n), _stepTokens.AsSpan(0, n));
        }
        catch (Exception ex)
        {
            // One run served them all, so all of them failed; the others (prefilling, queued) go on.
            for (int i = 0; i < n; i++) Release(_stepSequences[i], ex, keepCache: false);
            return;
        }
        Interlocked.Increment(ref _decodeSteps);
        Interlocked.Add(ref _decodedTokens, n);
        if (n > _largestBatch) Volatile.Write(ref _largestBatch, n);
        for (int i = 0; i < n; i++)
        {
            var sequence = _stepSequences[i];
            _stepSequences[i] = null!;
            try
            {
                sequence.OnFed();
                // Its slot, not _stepSlots[i]: releasing an earlier sequence of this step may have moved it down.
                if (sequence.OnLogits(_slots.Logits(sequence.Slot))) Release(sequence, null, keepCache: true);
            }
            catch (Exception ex)
            {
                Release(sequence, ex, keepCache: false);
            }
        }
    }

    /// <summary>
    /// Takes a sequence out of its slot: its cache becomes a prefix snapshot (unless it may be inconsistent), the last
    /// occupied slot moves into the gap so decode steps stay dense, and the caller gets the final update or the error.
    /// </summary>
    private void Release(ScheduledSequence sequence, Exception? error, bool keepCache)
    {
        int slot = sequence.Slot;
        if (slot >= 0 && _bySlot[slot] == sequence)
        {
            if (keepCache) TryCache(sequence);
            _slots!.Truncate(slot, 0);
            _bySlot[slot] = null;
            int last = Array.FindLastIndex(_bySlot, s => s is not null);
            if (last > slot)
            {
                _slots.Move(last, slot);
                _bySlot[slot] = _bySlot[last];
                _bySlot[last] = null;
                _bySlot[slot]!.Slot = slot;
            }
        }
        if (_active.Remove(sequence))
        {
            lock (_gate) _running--;
            _averageSeconds = 0.8 * _averageSeconds + 0.2 * sequence.Age.TotalSeconds;
        }
        sequence.Complete(error);
    }

    private void TryCache(ScheduledSequence sequence)
    {
        if (_cache is null || _slots is null || sequence.CachedLength == 0) return;
        try
        {
            int length = Math.Min(sequence.CachedLength, _slots.Length(sequence.Slot));
            var tokens = sequence.CachedTokens(length);
            if (!_cache.WouldKeep(tokens, length * _slots.BytesPerToken)) return;
            _cache.Add(_slots.Save(sequence.Slot, tokens));
        }
        catch (OutOfMemoryException)
        {
            _cache.Clear(); // the cache is an optimisation: never let it fail an answer
        }
    }

    private void FailQueued(Exception error)
    {
        List<ScheduledSequence> waiting;
        lock (_gate)
        {
            waiting = [.. _queue];
            _queue.Clear();
        }
        foreach (var sequence in waiting) sequence.Complete(error);
    }

    /// <summary>Stops the loop after its current step; running and waiting requests fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed && _thread is null) return;
            _disposed = true;
            thread = _thread;
            _thread = null;
        }
        _signal.Release();
        if (thread is not null && thread != Thread.CurrentThread) thread.Join();
        else if (thread is null)
        {
            FailQueued(new ObjectDisposedException(nameof(GenerationEngine)));
            _slots?.Dispose();
        }
    }
}
