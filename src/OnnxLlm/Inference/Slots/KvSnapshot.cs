namespace OnnxLlm.Inference.Slots;

/// <summary>
/// A copy of the KV cache of a token sequence's first positions, compact (<c>[kv_heads, length, head_dim]</c> per
/// layer, keys and values), taken from a slot when its sequence ends. The cache of position i depends only on tokens
/// 0..i, so any prefix of <see cref="Tokens"/> can seed a new sequence that starts with the same ids.
/// Immutable once taken: many sequences may copy from one snapshot.
/// </summary>
internal sealed class KvSnapshot
{
    public KvSnapshot(int[] tokens, byte[][] keys, byte[][] values)
    {
        Tokens = tokens;
        Keys = keys;
        Values = values;
        Bytes = keys.Sum(k => (long)k.Length) + values.Sum(v => (long)v.Length);
    }

    /// <summary>The token ids whose keys and values are held.</summary>
    public int[] Tokens { get; }

    /// <summary>Per layer, the keys as <c>[kv_heads, Tokens.Length, head_dim]</c> raw elements.</summary>
    public byte[][] Keys { get; }

    /// <summary>Per layer, the values, laid out as the keys.</summary>
    public byte[][] Values { get; }

    /// <summary>Memory held.</summary>
    public long Bytes { get; }

    /// <summary>Number of positions held.</summary>
    public int Length => Tokens.Length;
}
