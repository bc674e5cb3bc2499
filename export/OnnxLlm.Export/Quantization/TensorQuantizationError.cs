using System.Text.Json.Serialization;

namespace OnnxLlm.Export.Quantization;

/// <summary>The quantization error of one weight tensor (dequantized vs original).</summary>
public sealed record TensorQuantizationError
{
    /// <summary>The checkpoint tensor.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Output features.</summary>
    [JsonPropertyName("n")] public required int N { get; init; }

    /// <summary>Input features.</summary>
    [JsonPropertyName("k")] public required int K { get; init; }

    /// <summary>Weights per scale along the input dimension (the embedding table's may be smaller than the export's).</summary>
    [JsonPropertyName("block_size")] public required int BlockSize { get; init; }

    /// <summary>max |ŵ − w| over the tensor.</summary>
    [JsonPropertyName("max_abs_error")] public required double MaxAbsError { get; init; }

    /// <summary>‖ŵ − w‖₂ / ‖w‖₂ over the tensor.</summary>
    [JsonPropertyName("relative_rms_error")] public required double RelativeRmsError { get; init; }
}
