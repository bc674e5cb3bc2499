using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace OnnxLlm.Runtime;

/// <summary>
/// Builds ONNX Runtime <see cref="SessionOptions"/> from <see cref="OnnxLlmOptions"/>: threads, graph
/// optimisation and the execution provider, chosen by option and operating system.
/// </summary>
/// <remarks>
/// Choices for CPU decode (see docs/performance.md for the measurements behind them):
/// <list type="bullet">
/// <item>ORT_ENABLE_ALL: the layer-norm fusions, and on x86 the one-time fp16→fp32 conversion of MatMul/Gemm
/// weights at load (at lower levels the Cast would run on every token).</item>
/// <item>Intra-op threads: ONNX Runtime's default (0 = one per physical core) unless the user sets a number.
/// Sequential execution, one inter-op thread: a generation runs one graph at a time.</item>
/// <item>Spinning: ONNX Runtime's default (on) unless <see cref="OnnxLlmOptions.AllowSpinning"/> says otherwise.</item>
/// <item>Prepacking stays on (MatMul and MatMulNBits pack their constant weights once at load) and runs serially:
/// parallel prepacking (<c>session.prepack.enable_parallel</c>) held the unpacked weights beside the packed ones,
/// which nearly doubled the load's peak memory, and did not load faster on two cores.</item>
/// </list>
/// </remarks>
internal static class SessionOptionsFactory
{
    public static SessionOptions Create(OnnxLlmOptions options, string modelDirectory, ILogger logger)
    {
        var session = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogId = "onnxllm",
        };
        try
        {
            if (options.IntraOpThreads is int threads)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(threads, nameof(options.IntraOpThreads));
                session.IntraOpNumThreads = threads;
            }
            // One generation runs one graph at a time; extra inter-op threads would only compete for cores.
            session.InterOpNumThreads = 1;
            if (options.AllowSpinning is bool spin)
                session.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
            // Prepacking is ONNX Runtime's default; say so explicitly so no inherited setting turns it off.
            session.AddSessionConfigEntry("session.disable_prepacking", "0");
            // Serial prepacking (ORT's default, said explicitly): in parallel, every layer's unpacked weights stayed
            // resident until all were packed, so loading peaked at about twice the model (Qwen2.5-1.5B fp16: 11.8 GiB
            // against 7.0 GiB serial) and was no faster on two cores (docs/performance.md, "Memory").
            session.AddSessionConfigEntry("session.prepack.enable_parallel", "0");
            if (options.ExecutionProvider == ExecutionProvider.CoreML)
                AppendCoreML(session, options, modelDirectory, logger);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static void AppendCoreML(SessionOptions session, OnnxLlmOptions options, string modelDirectory, ILogger logger)
    {
        if (!OperatingSystem.IsMacOS())
        {
            if (!options.AllowExecutionProviderFallback)
                throw new PlatformNotSupportedException(
                    $"The CoreML execution provider needs macOS; this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}. " +
                    "Use ExecutionProvider.Cpu, or set AllowExecutionProviderFallback to run on the CPU instead.");
            logger.LogWarning("CoreML was requested but only exists on macOS; running on the CPU execution provider instead.");
            return;
        }
        var coreml = options.CoreML;
        string cache = coreml.ModelCacheDirectory ?? DefaultCoreMLCache(modelDirectory);
        Directory.CreateDirectory(cache);
        session.AppendExecutionProvider("CoreML", new Dictionary<string, string>
        {
            // NeuralNetwork (ORT's default) takes fp32 only; fp16 graphs need MLProgram.
            ["ModelFormat"] = "MLProgram",
            ["MLComputeUnits"] = coreml.ComputeUnits switch
            {
                CoreMLComputeUnits.CpuOnly => "CPUOnly",
                CoreMLComputeUnits.CpuAndGpu => "CPUAndGPU",
                CoreMLComputeUnits.CpuAndNeuralEngine => "CPUAndNeuralEngine",
                _ => "ALL",
            },
            ["ModelCacheDirectory"] = cache,
        });
        if (coreml.Strict) session.AddSessionConfigEntry("session.disable_cpu_ep_fallback", "1");
    }

    /// <summary>
    /// The default Core ML compile cache of a model folder: one folder per model folder (by a hash of its full path),
    /// so models never share or evict each other's compiled models. Inside it ONNX Runtime keys each graph by its
    /// COREML_CACHE_KEY (a hash of graph and weights in our coreml exports), so a re-exported folder recompiles.
    /// </summary>
    internal static string DefaultCoreMLCache(string modelDirectory)
    {
        string root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        string folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelDirectory));
        string key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(folder)))[..16];
        return Path.Combine(root, "onnxllm", "coreml-cache", key);
    }
}
