namespace OnnxLlm.Runtime;

/// <summary>Where ONNX Runtime executes the model.</summary>
public enum ExecutionProvider
{
    /// <summary>ONNX Runtime's CPU execution provider: works everywhere (the default).</summary>
    Cpu,

    /// <summary>Apple's Core ML (GPU / Neural Engine) through ONNX Runtime's CoreML execution provider; macOS only.</summary>
    CoreML,
}
