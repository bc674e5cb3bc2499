using OnnxLlm;

namespace Microsoft.SemanticKernel;

/// <summary>Builds and checks the options a connector registration captures (checked at registration, not at first use).</summary>
internal static class OnnxLlmConnectorOptions
{
    public static OnnxLlmOptions Create(string modelPath, Action<OnnxLlmOptions>? configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var options = new OnnxLlmOptions { ModelPath = modelPath };
        configure?.Invoke(options);
        return options;
    }

    public static void Validate(OnnxLlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            throw new ArgumentException("OnnxLlmOptions.ModelPath must name a model folder or a Hugging Face model id.", nameof(options));
    }
}
