namespace OnnxLlm.Export.Precision;

/// <summary>The numeric precision of an exported model's weights, activations and KV cache.</summary>
public enum ExportPrecision
{
    /// <summary>IEEE half precision (the default): half the size of fp32; bf16 values beyond fp16's range are clamped and counted.</summary>
    Fp16,

    /// <summary>IEEE single precision: exact for bf16 checkpoints, twice the size of fp16.</summary>
    Fp32,

    /// <summary>
    /// 4-bit block-quantized decoder Linears (ONNX Runtime's MatMulNBits, weight-only); embedding, norms,
    /// activations and the KV cache stay fp32. About a quarter of fp16's Linear bytes.
    /// </summary>
    Int4,

    /// <summary>8-bit block-quantized decoder Linears (MatMulNBits); everything else as <see cref="Int4"/>.</summary>
    Int8,
}
