using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace OnnxLlm.Inference;

/// <summary>
/// A float or float16 tensor whose bytes live in a managed array on the pinned object heap, wrapped once as an
/// <see cref="OrtValue"/>: the host reads and writes it as bytes between runs, ONNX Runtime reads and writes the
/// same memory during them, and nothing is copied or allocated per run.
/// </summary>
internal sealed class PinnedTensor : IDisposable
{
    public PinnedTensor(TensorElementType type, long[] shape)
    {
        ElementSize = type switch
        {
            TensorElementType.Float => 4,
            TensorElementType.Float16 => 2,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Only float and float16 tensors are pinned here."),
        };
        Type = type;
        long elements = shape.Aggregate(1L, (a, b) => checked(a * b));
        Bytes = GC.AllocateArray<byte>(checked((int)(elements * ElementSize)), pinned: true);
        // Pinned-heap arrays never move, so their address stays valid for the OrtValue's lifetime.
        Value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, type, shape,
            Marshal.UnsafeAddrOfPinnedArrayElement(Bytes, 0), Bytes.LongLength);
    }

    public TensorElementType Type { get; }

    public int ElementSize { get; }

    public byte[] Bytes { get; }

    public OrtValue Value { get; }

    /// <summary>Sets <paramref name="count"/> elements from <paramref name="start"/> to <paramref name="value"/> (converted to the element type).</summary>
    public void Fill(int start, int count, float value)
    {
        if (Type == TensorElementType.Float16)
            MemoryMarshal.Cast<byte, Half>(Bytes.AsSpan()).Slice(start, count).Fill((Half)value);
        else
            MemoryMarshal.Cast<byte, float>(Bytes.AsSpan()).Slice(start, count).Fill(value);
    }

    public void Dispose() => Value.Dispose();
}
