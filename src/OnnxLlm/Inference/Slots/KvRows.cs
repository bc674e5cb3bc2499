namespace OnnxLlm.Inference.Slots;

/// <summary>
/// Copies position rows between KV buffers laid out <c>[kv_heads, rows, head_dim]</c> (a slot of the batched
/// buffer, a static-kv state's buffer, a snapshot), which differ only in how many rows each head holds.
/// </summary>
internal static unsafe class KvRows
{
    /// <param name="source">Start of the source buffer.</param>
    /// <param name="sourceRows">Rows per head in the source.</param>
    /// <param name="destination">Start of the destination buffer.</param>
    /// <param name="destinationRows">Rows per head in the destination.</param>
    /// <param name="heads">KV heads.</param>
    /// <param name="count">Leading rows of each head to copy.</param>
    /// <param name="rowBytes">Bytes per row (head_dim × element size).</param>
    public static void Copy(byte* source, long sourceRows, byte* destination, long destinationRows, int heads, int count, int rowBytes)
    {
        long bytes = (long)count * rowBytes;
        for (int h = 0; h < heads; h++)
            Buffer.MemoryCopy(source + h * sourceRows * rowBytes, destination + h * destinationRows * rowBytes, bytes, bytes);
    }
}
