using OnnxLlm.Inference.Slots;

namespace OnnxLlm.Generation.Caching;

/// <summary>
/// KV snapshots of finished sequences, kept within a byte budget and evicted least recently used, so a request
/// whose token ids start like an earlier sequence (the next turn of a chat, another user's request with the same
/// system prompt) prefills only what differs. Matching compares token ids, never messages: a template that renders
/// the history differently from what the model produced only shortens the match. A snapshot is copied into a slot,
/// never shared with a running sequence. Thread-safe (the scheduler writes; statistics read from any thread).
/// </summary>
internal sealed class PrefixCache
{
    private readonly LinkedList<KvSnapshot> _entries = new(); // most recently used first
    private readonly object _gate = new();
    private long _bytes;
    private long _evictions;

    public PrefixCache(long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        BudgetBytes = budgetBytes;
    }

    /// <summary>Most bytes of snapshots kept.</summary>
    public long BudgetBytes { get; }

    /// <summary>Bytes held now.</summary>
    public long Bytes { get { lock (_gate) return _bytes; } }

    /// <summary>Snapshots held now.</summary>
    public int Count { get { lock (_gate) return _entries.Count; } }

    /// <summary>Snapshots dropped to stay within the budget.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>
    /// The snapshot sharing the longest token-id prefix with <paramref name="prompt"/>, and that length (at most
    /// <paramref name="maxLength"/>); (null, 0) when none shares a token. The match counts as a use.
    /// </summary>
    public (KvSnapshot? Snapshot, int Length) FindLongestPrefix(ReadOnlySpan<int> prompt, int maxLength)
    {
        lock (_gate)
        {
            LinkedListNode<KvSnapshot>? best = null;
            int bestLength = 0;
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                int length = Math.Min(prompt.CommonPrefixLength(node.Value.Tokens), maxLength);
                if (length > bestLength)
                {
                    best = node;
                    bestLength = length;
                }
            }
            if (best is null) return (null, 0);
            _entries.Remove(best);
            _entries.AddFirst(best);
            return (best.Value, bestLength);
        }
    }

    /// <summary>
    /// Whether a snapshot of <paramref name="tokens"/> taking <paramref name="bytes"/> would be kept: it fits the budget
    /// and no held snapshot already starts with all of these tokens (checked before copying anything).
    /// </summary>
    public bool WouldKeep(ReadOnlySpan<int> tokens, long bytes)
    {
        if (tokens.IsEmpty || bytes > BudgetBytes) return false;
        lock (_gate)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Length >= tokens.Length && tokens.CommonPrefixLength(node.Value.Tokens) == tokens.Length)
                {
                    _entries.Remove(node);
                    _entries.AddFirst(node);
                    return false;
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Keeps a snapshot as the most recently used, dropping held snapshots that it extends (their every token is a
    /// prefix of its), then the least recently used until the budget holds.
    /// </summary>
    public void Add(KvSnapshot snapshot)
    {
        if (snapshot.Bytes > BudgetBytes) return;
        lock (_gate)
        {
            for (var node = _entries.First; node is not null;)
            {
                var next = node.Next;
                var held = node.Value;
                if (held.Length <= snapshot.Length && snapshot.Tokens.AsSpan().CommonPrefixLength(held.Tokens) == held.Length)
                {
                    _entries.Remove(node);
                    _bytes -= held.Bytes;
                }
                node = next;
            }
            _entries.AddFirst(snapshot);
            _bytes += snapshot.Bytes;
            while (_bytes > BudgetBytes && _entries.Last is { } last)
            {
                _entries.RemoveLast();
                _bytes -= last.Value.Bytes;
                Interlocked.Increment(ref _evictions);
            }
        }
    }

    /// <summary>Drops every snapshot.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _bytes = 0;
        }
    }
}
