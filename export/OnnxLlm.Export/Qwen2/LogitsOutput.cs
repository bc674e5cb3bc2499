using OnnxLlm.Export.Onnx;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// The graphs' last step, shared by the targets: the head's [rows, vocab] result reshaped to the <c>logits</c> output,
/// which is float32 whatever the activation type (samplers read float32; fp16 logits would also lose resolution).
/// </summary>
internal static class LogitsOutput
{
    /// <param name="g">The graph being built.</param>
    /// <param name="headOutput">The lm_head's [rows, vocab] output.</param>
    /// <param name="shape">A constant int64 shape for the logits.</param>
    /// <param name="activations">The head's output type; anything but float32 is cast.</param>
    public static void Emit(GraphBuilder g, string headOutput, string shape, OnnxDataType activations)
    {
        if (activations == OnnxDataType.Float)
        {
            g.Node("Reshape", [headOutput, shape], [DecoderIoNames.Logits], name: "/lm_head/logits");
            return;
        }
        var reshaped = g.Op("Reshape", "/lm_head/Reshape_1", [headOutput, shape]);
        g.Node("Cast", [reshaped], [DecoderIoNames.Logits], name: "/lm_head/logits", attributes: Attr.Int("to", (long)OnnxDataType.Float));
    }
}
