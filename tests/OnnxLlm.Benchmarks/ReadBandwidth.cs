using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Numerics;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// The machine's memory read bandwidth right now, measured the way decode reads weights: <c>threads</c> threads each
/// streaming their share of a buffer far larger than any cache, once per pass, best pass kept. Decode of a dense model
/// cannot run faster than this ÷ the weight bytes one token reads (its roofline), so the benchmark measures it beside
/// each row instead of quoting a figure from another day: on a shared VM the bandwidth drifts with the neighbours' load.
/// </summary>
internal static partial class ReadBandwidth
{
    private const long BufferBytes = 1L << 30;
    private const int Passes = 5;
    private const int MadviseHugePage = 14;
    private const long ChunkBytes = 4L << 20;

    /// <summary>How the figure is taken, for the table's caption.</summary>
    public static string Describe(int threads) =>
        $"{threads} threads streaming a {BufferBytes >> 30} GiB buffer{(OperatingSystem.IsLinux() ? " on transparent huge pages" : "")}, best of {Passes} passes";

    /// <summary>Best read rate in GB/s (10⁹ bytes per second).</summary>
    public static unsafe double MeasureGBps(int threads)
    {
        long vectors = BufferBytes / Vector<byte>.Count;
        var buffer = (Vector<float>*)NativeMemory.AlignedAlloc((nuint)BufferBytes, 2 << 20);
        try
        {
            // Huge pages, as large weight buffers usually get: with 4 KiB pages TLB misses, not DRAM, would set the rate.
            if (OperatingSystem.IsLinux()) _ = Madvise((nint)buffer, (nuint)BufferBytes, MadviseHugePage);
            // Touch every page first, so the timed passes read resident memory rather than fault pages in.
            for (long i = 0; i < vectors; i++) buffer[i] = new Vector<float>(i & 7);
            double best = 0;
            var partial = new float[threads];
            long chunkVectors = ChunkBytes / Vector<byte>.Count, chunks = (vectors + chunkVectors - 1) / chunkVectors;
            for (int pass = 0; pass < Passes; pass++)
            {
                long next = -1;
                var sw = Stopwatch.StartNew();
                // Chunks handed out as threads free up, like ONNX Runtime's thread pool splits a GEMV: a thread that a
                // neighbour's process delays takes fewer chunks instead of holding the whole pass back.
                var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
                {
                    float sum = 0;
                    for (long chunk; (chunk = Interlocked.Increment(ref next)) < chunks;)
                    {
                        long from = chunk * chunkVectors;
                        sum += Sum(buffer + from, Math.Min(chunkVectors, vectors - from));
                    }
                    partial[t] = sum;
                })).ToArray();
                foreach (var worker in workers) worker.Start();
                foreach (var worker in workers) worker.Join();
                best = Math.Max(best, BufferBytes / sw.Elapsed.TotalSeconds / 1e9);
            }
            GC.KeepAlive(partial);
            return best;
        }
        finally { NativeMemory.AlignedFree(buffer); }
    }

    // Fully optimized from the first call: a loop entered once per pass would otherwise run tier-0 / OSR code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe float Sum(Vector<float>* vectors, long count)
    {
        // Independent accumulators keep several loads in flight, as a GEMV's inner loop does.
        Vector<float> a = default, b = default, c = default, d = default;
        long i = 0;
        for (; i + 4 <= count; i += 4)
        {
            a += vectors[i]; b += vectors[i + 1]; c += vectors[i + 2]; d += vectors[i + 3];
        }
        for (; i < count; i++) a += vectors[i];
        return Vector.Sum(a + b + c + d);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
