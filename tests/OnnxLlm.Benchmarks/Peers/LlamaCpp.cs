using LLama;
using LLama.Batched;
using LLama.Common;
using LLama.Native;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// llama.cpp through LLamaSharp (its prebuilt CPU backend, LLamaSharp.Backend.Cpu): native library setup, model
/// loading with the settings every peer figure uses, and quantization. The prebuilt library is generic (not built
/// for this CPU), which costs it against a native build; the reports say so next to the figures.
/// </summary>
internal static class LlamaCpp
{
    public const string Label = "llama.cpp via LLamaSharp";

    /// <summary>Context large enough for the longest workload (a 2,200-token chat plus answers) with 8 sequences.</summary>
    public const int ContextSize = 4096, BatchSize = 512, MaxSequences = 8;

    private static int s_configured;

    /// <summary>
    /// Quiets llama.cpp's info logging (warnings and errors still go to stderr). Must run before anything else in
    /// LLamaSharp touches the native library, which is loaded once per process.
    /// </summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref s_configured, 1) == 1) return;
        NativeLibraryConfig.All.WithLogCallback((level, message) =>
        {
            if (level is LLamaLogLevel.Warning or LLamaLogLevel.Error) Console.Error.Write($"   llama.cpp: {message}");
        });
    }

    public static ModelParams Parameters(string gguf, int threads)
    {
        Configure(); // ModelParams reads llama.cpp's defaults, which loads the native library
        return new ModelParams(gguf)
        {
            ContextSize = ContextSize,
            BatchSize = BatchSize,
            UBatchSize = BatchSize,
            SeqMax = MaxSequences,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
            // One KV buffer shared by all sequences: otherwise llama.cpp gives each of the 8 sequences n_ctx / 8 cells,
            // too few for the 2,200-token chat.
            KVUnified = true,
        };
    }

    public static LLamaWeights Load(ModelParams parameters)
    {
        Configure();
        if (!File.Exists(parameters.ModelPath)) throw new FileNotFoundException($"GGUF not found: {parameters.ModelPath}", parameters.ModelPath);
        return LLamaWeights.LoadFromFile(parameters);
    }

    /// <summary>
    /// Quantizes an F16 GGUF with llama.cpp's own quantizer, "pure": every matrix in <paramref name="type"/>
    /// (the embedding and output included), no k-quant mixture, so Q8_0 and Q4_0 mean what they say.
    /// </summary>
    public static void Quantize(string sourceF16, string destination, GgmlType type, int threads)
    {
        Configure();
        // LLamaModelQuantizeParams.Default calls into libllama directly; NativeApi's static constructor is what loads it.
        NativeApi.llama_empty_call();
        var parameters = LLamaModelQuantizeParams.Default();
        parameters.ftype = type switch
        {
            GgmlType.Q8_0 => LLamaFtype.MOSTLY_Q8_0,
            GgmlType.Q4_0 => LLamaFtype.MOSTLY_Q4_0,
            _ => throw new ArgumentException($"Quantize to Q8_0 or Q4_0, not {type}.", nameof(type)),
        };
        parameters.nthread = threads;
        parameters.pure = true;
        parameters.allow_requantize = false;
        parameters.quantize_output_tensor = true;
        string temp = destination + ".partial";
        uint status = NativeApi.llama_model_quantize(sourceF16, temp, ref parameters);
        if (status != 0) throw new InvalidOperationException($"llama.cpp failed to quantize {sourceF16} to {type} (status {status}).");
        File.Move(temp, destination, overwrite: true);
    }

    /// <summary>Greedy choice: the index of the largest logit (the first on ties, as our sampler picks).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>
    /// Prompts <paramref name="tokens"/> in chunks of at most the batch size and runs inference until the
    /// conversation can be sampled (what llama.cpp's server does with an n_batch-sized prompt).
    /// </summary>
    public static async Task PromptAsync(Conversation conversation, ReadOnlyMemory<int> tokens)
    {
        for (int start = 0; start < tokens.Length; start += BatchSize)
        {
            var chunk = tokens.Slice(start, Math.Min(BatchSize, tokens.Length - start));
            var llamaTokens = new LLamaToken[chunk.Length];
            for (int i = 0; i < chunk.Length; i++) llamaTokens[i] = chunk.Span[i];
            conversation.Prompt(llamaTokens);
            while (conversation.RequiresInference) await InferAsync(conversation.Executor);
        }
    }

    public static async Task InferAsync(BatchedExecutor executor)
    {
        var result = await executor.Infer();
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
    }
}
