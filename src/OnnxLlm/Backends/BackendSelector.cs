using OnnxLlm.Inference;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.ModelFolder.StaticKv;
using OnnxLlm.Runtime;

namespace OnnxLlm.Backends;

/// <summary>Resolves <see cref="OnnxLlmOptions.Backend"/> for a model folder.</summary>
internal static class BackendSelector
{
    /// <summary>
    /// The backend to try first. <see cref="InferenceBackend.Auto"/> means our loop, except when a non-CPU GenAI provider
    /// is asked for, by <see cref="OnnxLlmOptions.GenAiProvider"/> or (when that is unset) by the folder's own
    /// genai_config.json <c>provider_options</c> (a GenAI-builder folder made for cuda, dml...): on the CPU our loop is
    /// faster at fp32 and batches concurrent requests with prefix reuse, and it is the only one that runs Core ML
    /// static-kv folders. (The caller falls back to GenAI when our loop rejects the folder.)
    /// </summary>
    /// <param name="options">The load options.</param>
    /// <param name="directory">The model folder.</param>
    /// <param name="config">The folder's genai_config.json.</param>
    /// <exception cref="ArgumentException">The options contradict each other (named in the message).</exception>
    public static InferenceBackend Choose(OnnxLlmOptions options, string directory, GenAiConfig config)
    {
        bool optionNamesProvider = !string.IsNullOrWhiteSpace(options.GenAiProvider);
        bool genAiDevice = optionNamesProvider
            ? !string.Equals(options.GenAiProvider!.Trim(), "cpu", StringComparison.OrdinalIgnoreCase)
            : GenAiConfigSupport.DeviceProviders(config).Count > 0;
        switch (options.Backend)
        {
            case InferenceBackend.OnnxLlm when genAiDevice && optionNamesProvider:
                throw new ArgumentException($"OnnxLlmOptions.GenAiProvider = '{options.GenAiProvider}' applies to the GenAI backend, but Backend is OnnxLlm; " +
                                            "use ExecutionProvider for the OnnxLlm backend.", nameof(options));
            case InferenceBackend.OnnxLlm:
                // A folder's own device provider with our loop forced: the caller warns and runs on ExecutionProvider.
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
                return genAiDevice && options.ExecutionProvider == ExecutionProvider.Cpu && (optionNamesProvider || GenAiMayRun(directory))
                    ? InferenceBackend.GenAI
                    : InferenceBackend.OnnxLlm;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), options.Backend, "OnnxLlmOptions.Backend must be Auto, OnnxLlm or GenAI.");
        }
    }

    /// <summary>Whether GenAI can be given the folder: it has a genai_config.json and is not one of our static-kv (Core ML) exports.</summary>
    public static bool GenAiMayRun(string directory) =>
        File.Exists(Path.Combine(directory, ModelFolderFiles.GenAiConfig)) && !File.Exists(Path.Combine(directory, StaticKvContract.FileName));
}
