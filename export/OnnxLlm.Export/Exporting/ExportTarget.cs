namespace OnnxLlm.Export.Exporting;

/// <summary>The runtime a graph is shaped for.</summary>
public enum ExportTarget
{
    /// <summary>ONNX Runtime's CPU execution provider, with GenAI builder conventions (contrib ops, shared KV buffer).</summary>
    Cpu,

    /// <summary>
    /// ONNX Runtime's CoreML execution provider (Apple Silicon): standard ONNX ops only, every shape static, so
    /// the whole graph is one Core ML partition. Two graphs (one-token decode step and fixed-size prefill chunk)
    /// share one weight file and follow the <c>static-kv-v1</c> contract in <c>onnxllm_contract.json</c>:
    /// a host-managed, maximum-length KV buffer is an input and only the new K/V rows are outputs.
    /// </summary>
    CoreML,
}
