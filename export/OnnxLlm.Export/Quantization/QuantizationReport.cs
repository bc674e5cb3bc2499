using System.Text.Json.Serialization;

namespace OnnxLlm.Export.Quantization;

/// <summary>What an int4 / int8 export quantized, how, and how far the dequantized weights are from the originals.</summary>
public sealed record QuantizationReport
{
    /// <summary>Bits per weight code (4 or 8).</summary>
    [JsonPropertyName("bits")] public required int Bits { get; init; }

    /// <summary>Weights per scale along the input dimension.</summary>
    [JsonPropertyName("block_size")] public required int BlockSize { get; init; }

    /// <summary>Whether zero points are implied (symmetric) or stored.</summary>
    [JsonPropertyName("symmetric")] public required bool Symmetric { get; init; }

    /// <summary>MatMulNBits' accuracy_level.</summary>
    [JsonPropertyName("accuracy_level")] public required int AccuracyLevel { get; init; }

    /// <summary>Whether lm_head was quantized too.</summary>
    [JsonPropertyName("lm_head_quantized")] public required bool LmHeadQuantized { get; init; }

    /// <summary>Weights quantized, over all tensors.</summary>
    [JsonPropertyName("quantized_weights")] public required long QuantizedWeights { get; init; }

    /// <summary>max |ŵ − w| over every quantized tensor.</summary>
    [JsonPropertyName("max_abs_error")] public required double MaxAbsError { get; init; }

    /// <summary>‖ŵ − w‖₂ / ‖w‖₂ over every quantized tensor taken together.</summary>
    [JsonPropertyName("relative_rms_error")] public required double RelativeRmsError { get; init; }

    /// <summary>Per-tensor errors, in graph order.</summary>
    [JsonPropertyName("tensors")] public required IReadOnlyList<TensorQuantizationError> Tensors { get; init; }

    /// <summary>The tensor with the largest relative RMS error.</summary>
    [JsonIgnore] public TensorQuantizationError? Worst => Tensors.MaxBy(t => t.RelativeRmsError);
}
