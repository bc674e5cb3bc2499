namespace OnnxLlm.Runtime;

/// <summary>Settings of ONNX Runtime's CoreML execution provider (used on macOS only).</summary>
public sealed class CoreMLOptions
{
    /// <summary>Units Core ML may use.</summary>
    public CoreMLComputeUnits ComputeUnits { get; set; } = CoreMLComputeUnits.All;

    /// <summary>
    /// Folder where the compiled Core ML model is kept between runs; without it every session creation
    /// recompiles the model. Defaults to a per-model folder under the user's cache directory.
    /// </summary>
    public string? ModelCacheDirectory { get; set; }

    /// <summary>Fail session creation if any node would run on the CPU instead of Core ML (<c>session.disable_cpu_ep_fallback</c>).</summary>
    public bool Strict { get; set; }
}
