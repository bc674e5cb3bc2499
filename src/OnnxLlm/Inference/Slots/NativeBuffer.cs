using System.Runtime.InteropServices;

namespace OnnxLlm.Inference.Slots;

/// <summary>
/// Native memory for a KV buffer, not zeroed: the OS maps pages on first write, so a buffer sized for every slot at
/// the full context costs address space, and resident memory only for the positions sequences actually reach.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    public NativeBuffer(long bytes)
    {
        Bytes = bytes;
        Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
    }

    public byte* Pointer { get; private set; }

    public long Bytes { get; }

    public void Dispose()
    {
        if (Pointer is null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
