using OnnxLlm.Export.Onnx;
using N = OnnxLlm.Export.Qwen2.Qwen2TensorNames;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// Qwen2's MLP, down(silu(gate(x)) · up(x)), in standard ops (SiLU as x · Sigmoid(x), which ORT fuses on CPU and
/// Core ML accepts). Shared by the graph targets; each supplies its own Linear (MatMul, MatMulNBits, ...).
/// </summary>
internal static class SwiGluMlp
{
    /// <param name="g">The graph being built.</param>
    /// <param name="layer">Decoder layer index.</param>
    /// <param name="prefix">Node-name prefix of the layer.</param>
    /// <param name="input">The normalized hidden state.</param>
    /// <param name="linear">The target's Linear: (node name, input, checkpoint weight name) → output.</param>
    public static string Build(GraphBuilder g, int layer, string prefix, string input, Func<string, string, string, string> linear)
    {
        string Projection(string proj, string x) => linear($"{prefix}/mlp/{proj}", x, N.Layer(layer, $"mlp.{proj}.weight"));
        var gate = Projection("gate_proj", input);
        var up = Projection("up_proj", input);
        var sigmoid = g.Op("Sigmoid", $"{prefix}/mlp/act_fn/Sigmoid", [gate]);
        var silu = g.Op("Mul", $"{prefix}/mlp/act_fn/Mul", [gate, sigmoid]);
        var gated = g.Op("Mul", $"{prefix}/mlp/Mul", [silu, up]);
        return Projection("down_proj", gated);
    }
}
