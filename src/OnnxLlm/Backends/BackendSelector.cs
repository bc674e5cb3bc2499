using OnnxLlm.Inference;
using OnnxLlm.Runtime;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Backends;

/// <summary>Resolves <see cref="OnnxLlmOptions.Backend"/> for a model folder.</summary>
internal static class BackendSelector
{
    /// <summary>
    /// The backend to try first. <see cref="InferenceBackend.Auto"/> means our loop, except when a non-CPU GenAI provider
    /// is asked for: on the CPU our loop is faster at fp32 and batches concurrent requests with prefix reuse, and it
    /// is the only one that runs Core ML static-kv folders. (The caller falls back to GenAI when our loop rejects the folder.)
    /// </summary>
    /// <exception cref="ArgumentException">The options contradict each other (named in the message).</exception>
    public static InferenceBackend Choose(OnnxLlmOptions options, string directory)
    {
        bool genAiDevice = !string.IsNullOrWhiteSpace(options.GenAiProvider) && !string.Equals(options.GenAiProvider.Trim(), "cpu", StringComparison.OrdinalIgnoreCase);
        switch (options.Backend)
        {
            case InferenceBackend.OnnxLlm when genAiDevice:
                throw new ArgumentException($"OnnxLlmOptions.GenAiProvider = '{options.GenAiProvider}' applies to the GenAI backend, but Backend is OnnxLlm; " +
                                            "use ExecutionProvider for the OnnxLlm backend.", nameof(options));
            case InferenceBackend.OnnxLlm:
                return InferenceBackend.OnnxLlm;
            case InferenceBackend.GenAI:
                if (options.ExecutionProvider != ExecutionProvider.Cpu)
                    throw new ArgumentException($"OnnxLlmOptions.ExecutionProvider = {options.ExecutionProvider} applies to the OnnxLlm backend; " +
                                                "the GenAI backend takes GenAiProvider (e.g. 'cuda', 'dml', 'coreml').", nameof(options));
                if (!GenAiMayRun(directory))
                    throw new ArgumentException($"{directory} is a static-kv (Core ML) export, which only the OnnxLlm backend runs; " +
                                                "set OnnxLlmOptions.Backend to OnnxLlm or Auto.", nameof(options));
                return InferenceBackend.GenAI;
            case InferenceBackend.Auto:
                return genAiDevice && options.ExecutionProvider == ExecutionProvider.Cpu ? InferenceBackend.GenAI : InferenceBackend.OnnxLlm;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Backend, "OnnxLlmOptions.Backend must be Auto, OnnxLlm or GenAI.");
        }
    }

    /// <summary>Whether GenAI can be given the folder: it has a genai_config.json and is not one of our static-kv (Core ML) exports.</summary>
    public static bool GenAiMayRun(string directory) =>
        File.Exists(Path.Combine(directory, ModelFolderFiles.GenAiConfig)) && !File.Exists(Path.Combine(directory, StaticKvContract.FileName));
}
