using System.Text.Json.Serialization;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Exporting;

/// <summary>What an export wrote and what it changed numerically; also saved as <c>onnxllm_export.json</c>.</summary>
public sealed record ExportReport
{
    /// <summary>The model folder written.</summary>
    [JsonPropertyName("output")] public required string OutputDirectory { get; init; }

    /// <summary>Precision of the weights.</summary>
    [JsonPropertyName("precision"), JsonConverter(typeof(JsonStringEnumConverter<ExportPrecision>))]
    public required ExportPrecision Precision { get; init; }

    /// <summary>Graph target.</summary>
    [JsonPropertyName("target"), JsonConverter(typeof(JsonStringEnumConverter<ExportTarget>))]
    public required ExportTarget Target { get; init; }

    /// <summary>Elements written as weights (parameters plus rotary tables).</summary>
    [JsonPropertyName("elements_written")] public required long ElementsWritten { get; init; }

    /// <summary>Weights beyond fp16's ±65504 that were clamped (0 for fp32).</summary>
    [JsonPropertyName("clamped_to_fp16_range")] public required long ClampedValues { get; init; }

    /// <summary>What int4 / int8 quantized and its error; null (and omitted from the JSON) for float precisions.</summary>
    [JsonPropertyName("quantization"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public QuantizationReport? Quantization { get; init; }

    /// <summary>Longest sequence the folder supports.</summary>
    [JsonPropertyName("max_length")] public required int MaxLength { get; init; }

    /// <summary>Tokens per prefill run of the coreml target's static prefill graph; null (omitted) for the cpu target.</summary>
    [JsonPropertyName("prefill_chunk"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? PrefillChunk { get; init; }

    /// <summary>Files in the folder with their sizes in bytes.</summary>
    [JsonPropertyName("files")] public required IReadOnlyDictionary<string, long> Files { get; init; }

    /// <summary>Wall time of the export.</summary>
    [JsonPropertyName("elapsed_seconds")] public required double ElapsedSeconds { get; init; }
}
