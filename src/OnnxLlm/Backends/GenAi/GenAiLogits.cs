using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace OnnxLlm.Backends.GenAi;

/// <summary>
/// Reads and overwrites a GenAI generator's next-token logits. GenAI 0.20's native library exports
/// <c>OgaGenerator_GetLogits</c> / <c>OgaGenerator_SetLogits</c> (documented in its ort_genai_c.h for guided
/// generation), but its managed <see cref="Generator"/> does not wrap them; we call them on the generator's own
/// handle. That is how our <see cref="Generation.ILogitsConstraint"/>s (JSON schema, tool-call grammar) run on GenAI.
/// </summary>
internal static unsafe partial class GenAiLogits
{
    private const string Library = "onnxruntime-genai"; // the managed package's own DllImport name: the same loaded library

    /// <summary>Copies the last position's logits into <paramref name="destination"/> (a pinned array of the vocabulary's size).</summary>
    public static void Read(Generator generator, float[] destination)
    {
        nint tensor = 0;
        Check(OgaGenerator_GetLogits(Handle(generator), &tensor), "OgaGenerator_GetLogits");
        try
        {
            var (data, count) = FloatData(tensor);
            if (destination.Length != count)
                throw new InvalidOperationException($"GenAI returned {count} logits; the model's vocabulary has {destination.Length}.");
            new ReadOnlySpan<float>((void*)data, count).CopyTo(destination);
        }
        finally
        {
            OgaDestroyTensor(tensor);
        }
    }

    /// <summary>
    /// Replaces the logits GenAI's search will choose from at its next <c>GenerateNextToken</c>.
    /// <paramref name="pinnedLogits"/> must be a pinned array (<see cref="GC.AllocateArray{T}(int, bool)"/>) and the
    /// returned tensor must be released with <see cref="Release"/> only after <c>GenerateNextToken</c>: the tensor
    /// wraps the array's memory, and whether GenAI copies it is an implementation detail we do not rely on.
    /// </summary>
    public static nint Write(Generator generator, float[] pinnedLogits)
    {
        long* shape = stackalloc long[] { 1, pinnedLogits.Length }; // the shape GetLogits returns: [batch = 1, vocab]
        nint tensor = 0;
        Check(OgaCreateTensorFromBuffer(Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinnedLogits)), shape, 2, 1 /* float32 */, &tensor),
            "OgaCreateTensorFromBuffer");
        try
        {
            Check(OgaGenerator_SetLogits(Handle(generator), tensor), "OgaGenerator_SetLogits");
            return tensor;
        }
        catch
        {
            OgaDestroyTensor(tensor);
            throw;
        }
    }

    /// <summary>Frees a tensor returned by <see cref="Write"/>.</summary>
    public static void Release(nint tensor)
    {
        if (tensor != 0) OgaDestroyTensor(tensor);
    }

    private static (nint Data, int Count) FloatData(nint tensor)
    {
        int type = 0;
        Check(OgaTensorGetType(tensor, &type), "OgaTensorGetType");
        if (type != 1) throw new InvalidOperationException($"GenAI returned logits of element type {type}; float32 (1) was expected.");
        nuint rank = 0;
        Check(OgaTensorGetShapeRank(tensor, &rank), "OgaTensorGetShapeRank");
        long* shape = stackalloc long[(int)rank];
        Check(OgaTensorGetShape(tensor, shape, rank), "OgaTensorGetShape");
        long count = 1;
        for (int i = 0; i < (int)rank; i++) count *= shape[i];
        void* data = null;
        Check(OgaTensorGetData(tensor, &data), "OgaTensorGetData");
        return ((nint)data, checked((int)count));
    }

    private static void Check(nint result, string function)
    {
        if (result == 0) return;
        string message = Marshal.PtrToStringUTF8(OgaResultGetError(result)) ?? "(no message)";
        OgaDestroyResult(result);
        throw new InvalidOperationException($"ONNX Runtime GenAI: {function} failed: {message}");
    }

    // Generator.Handle is internal in Microsoft.ML.OnnxRuntimeGenAI 0.20.0 (the version pinned in Directory.Packages.props).
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Handle")]
    private static extern nint Handle(Generator generator);

    [LibraryImport(Library)] private static partial nint OgaGenerator_GetLogits(nint generator, nint* tensor);
    [LibraryImport(Library)] private static partial nint OgaGenerator_SetLogits(nint generator, nint tensor);
    [LibraryImport(Library)] private static partial nint OgaCreateTensorFromBuffer(void* data, long* shape, nuint rank, int elementType, nint* tensor);
    [LibraryImport(Library)] private static partial nint OgaTensorGetType(nint tensor, int* elementType);
    [LibraryImport(Library)] private static partial nint OgaTensorGetShapeRank(nint tensor, nuint* rank);
    [LibraryImport(Library)] private static partial nint OgaTensorGetShape(nint tensor, long* shape, nuint rank);
    [LibraryImport(Library)] private static partial nint OgaTensorGetData(nint tensor, void** data);
    [LibraryImport(Library)] private static partial void OgaDestroyTensor(nint tensor);
    [LibraryImport(Library)] private static partial nint OgaResultGetError(nint result);
    [LibraryImport(Library)] private static partial void OgaDestroyResult(nint result);
}
