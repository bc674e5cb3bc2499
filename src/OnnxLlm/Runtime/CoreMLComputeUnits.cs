namespace OnnxLlm.Runtime;

/// <summary>Which Apple silicon units Core ML may use (the <c>MLComputeUnits</c> provider option).</summary>
public enum CoreMLComputeUnits
{
    /// <summary>CPU, GPU and Neural Engine: Core ML chooses (the default).</summary>
    All,

    /// <summary>CPU only (useful for checking numerics).</summary>
    CpuOnly,

    /// <summary>CPU and GPU.</summary>
    CpuAndGpu,

    /// <summary>CPU and Neural Engine.</summary>
    CpuAndNeuralEngine,
}
