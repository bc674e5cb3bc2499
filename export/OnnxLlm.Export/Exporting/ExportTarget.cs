namespace OnnxLlm.Export.Exporting;

/// <summary>The runtime a graph is shaped for.</summary>
public enum ExportTarget
{
    /// <summary>ONNX Runtime's CPU execution provider, with GenAI builder conventions (contrib ops, shared KV buffer).</summary>
    Cpu,
}
