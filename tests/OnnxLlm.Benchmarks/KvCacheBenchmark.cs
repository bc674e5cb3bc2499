using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// --mode kv-cache: what an int8 KV cache would buy on CPU. ONNX Runtime 1.32's GroupQueryAttention runs int8 caches
/// with per-channel scales (k_quant_type / v_quant_type, kv_cache_bit_width 8, k_scale / v_scale inputs); this times
/// one decode step of one layer's attention at Qwen2.5-0.5B's shape (14 query heads, 2 KV heads of 64) over a float and
/// an int8 cache of the same contents, at several context lengths, and prints the output difference the int8 cache makes.
/// The engine itself keeps float caches: this only measures the route.
/// </summary>
internal static class KvCacheBenchmark
{
    private const int Heads = 14, KvHeads = 2, HeadDim = 64;
    private static readonly int[] Contexts = [512, 2048, 8192, 32768];

    public static void Run(BenchmarkSettings settings)
    {
        Console.WriteLine($"One layer's GroupQueryAttention decode step (Qwen2.5-0.5B shape: {Heads} heads, {KvHeads} KV heads × {HeadDim}), " +
                          $"{settings.Threads} threads, median of 200 steps after 20 warm-up");
        Console.WriteLine();
        Console.WriteLine("| context | float KV µs | int8 KV µs | int8 ÷ float time | KV bytes per layer float / int8 | max |Δ output| (int8 vs float) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int context in Contexts)
        {
            var (floatUs, floatOut) = Time(context, quantized: false, settings.Threads);
            var (int8Us, int8Out) = Time(context, quantized: true, settings.Threads);
            double delta = floatOut.Zip(int8Out, (a, b) => Math.Abs(a - b)).Max();
            long floatBytes = 2L * KvHeads * context * HeadDim * sizeof(float);
            Console.WriteLine($"| {context} | {floatUs:0.0} | {int8Us:0.0} | {int8Us / floatUs:0.00} | {floatBytes / 1048576.0:0.0} MiB / {floatBytes / 4 / 1048576.0:0.0} MiB | {delta:0.0e0} |");
        }
        Console.WriteLine();
        Console.WriteLine("Cache contents: uniform [-1, 1) per element, int8 with one scale per channel (max |x| / 127); output = attention of a random query over the cache.");
    }

    private static (double Microseconds, float[] Output) Time(int context, bool quantized, int threads)
    {
        int total = context + 1, kvWidth = KvHeads * HeadDim;
        var random = new Random(17);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        var q = Fill(Heads * HeadDim);
        var k = Fill(kvWidth);
        var v = Fill(kvWidth);
        var pastKey = Fill(KvHeads * total * HeadDim);
        var pastValue = Fill(KvHeads * total * HeadDim);

        using var options = new SessionOptions { IntraOpNumThreads = threads };
        using var session = new InferenceSession(Model(total, quantized).ToByteArray(), options);
        var disposables = new List<IDisposable>();
        OrtValue Value<T>(T[] data, params long[] shape) where T : unmanaged
        {
            var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            disposables.Add(value);
            return value;
        }
        OrtValue keyCache, valueCache;
        var scales = new List<OrtValue>();
        if (quantized)
        {
            var (keyCodes, keyScales) = Quantize(pastKey);
            var (valueCodes, valueScales) = Quantize(pastValue);
            keyCache = Value(keyCodes, 1, KvHeads, total, HeadDim);
            valueCache = Value(valueCodes, 1, KvHeads, total, HeadDim);
            scales.Add(Value(keyScales, kvWidth));
            scales.Add(Value(valueScales, kvWidth));
        }
        else
        {
            keyCache = Value(pastKey, 1, KvHeads, total, HeadDim);
            valueCache = Value(pastValue, 1, KvHeads, total, HeadDim);
        }
        var output = new float[Heads * HeadDim];
        string[] names = ["q", "k", "v", "past_key", "past_value", "seqlens_k", "total", .. quantized ? new[] { "k_scale", "v_scale" } : []];
        OrtValue[] inputs = [Value(q, 1, 1, Heads * HeadDim), Value(k, 1, 1, kvWidth), Value(v, 1, 1, kvWidth), keyCache, valueCache,
            Value(new[] { context }, 1), Value(new[] { total }), .. scales];
        // Past and present share one buffer, as in the engine: each step writes its position in place.
        OrtValue[] outputs = [Value(output, 1, 1, Heads * HeadDim), keyCache, valueCache];
        using var run = new RunOptions();
        for (int i = 0; i < 20; i++) session.Run(run, names, inputs, ["output", "present_key", "present_value"], outputs);
        var samples = new double[200];
        for (int i = 0; i < samples.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            session.Run(run, names, inputs, ["output", "present_key", "present_value"], outputs);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(samples);
        var result = output.ToArray();
        foreach (var d in disposables) d.Dispose();
        return (samples[samples.Length / 2], result);
    }

    /// <summary>Symmetric int8 with one scale per channel (KV head × head dim), over every position.</summary>
    private static (sbyte[] Codes, float[] Scales) Quantize(float[] cache)
    {
        int positions = cache.Length / (KvHeads * HeadDim);
        var scales = new float[KvHeads * HeadDim];
        for (int h = 0; h < KvHeads; h++)
            for (int p = 0; p < positions; p++)
                for (int d = 0; d < HeadDim; d++)
                    scales[h * HeadDim + d] = Math.Max(scales[h * HeadDim + d], Math.Abs(cache[(h * positions + p) * HeadDim + d]) / 127f);
        var codes = new sbyte[cache.Length];
        for (int h = 0; h < KvHeads; h++)
            for (int p = 0; p < positions; p++)
                for (int d = 0; d < HeadDim; d++)
                {
                    int i = (h * positions + p) * HeadDim + d;
                    codes[i] = (sbyte)Math.Clamp(MathF.Round(cache[i] / scales[h * HeadDim + d]), -127, 127);
                }
        return (codes, scales);
    }

    private static ModelProto Model(int total, bool quantized)
    {
        var cache = quantized ? OnnxDataType.Int8 : OnnxDataType.Float;
        var g = new GraphBuilder("gqa");
        g.Input("q", OnnxDataType.Float, 1, 1, Heads * HeadDim);
        g.Input("k", OnnxDataType.Float, 1, 1, KvHeads * HeadDim);
        g.Input("v", OnnxDataType.Float, 1, 1, KvHeads * HeadDim);
        g.Input("past_key", cache, 1, KvHeads, total, HeadDim);
        g.Input("past_value", cache, 1, KvHeads, total, HeadDim);
        g.Input("seqlens_k", OnnxDataType.Int32, 1);
        g.Input("total", OnnxDataType.Int32);
        g.Output("output", OnnxDataType.Float, 1, 1, Heads * HeadDim);
        g.Output("present_key", cache, 1, KvHeads, total, HeadDim);
        g.Output("present_value", cache, 1, KvHeads, total, HeadDim);
        List<string> inputs = ["q", "k", "v", "past_key", "past_value", "seqlens_k", "total"];
        List<Attr> attributes = [Attr.Int("num_heads", Heads), Attr.Int("kv_num_heads", KvHeads)];
        if (quantized)
        {
            g.Input("k_scale", OnnxDataType.Float, KvHeads * HeadDim);
            g.Input("v_scale", OnnxDataType.Float, KvHeads * HeadDim);
            // Inputs 7–11 (cos/sin caches, position ids, attention bias, head sink) unused; the scales are 12 and 13.
            inputs.AddRange(["", "", "", "", "", "k_scale", "v_scale"]);
            attributes.AddRange([Attr.String("k_quant_type", "PER_CHANNEL"), Attr.String("v_quant_type", "PER_CHANNEL"), Attr.Int("kv_cache_bit_width", 8)]);
        }
        g.Node("GroupQueryAttention", inputs, ["output", "present_key", "present_value"], domain: GraphBuilder.MicrosoftDomain, attributes: [.. attributes]);
        var model = new ModelProto { IrVersion = 10, Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });
        return model;
    }
}
