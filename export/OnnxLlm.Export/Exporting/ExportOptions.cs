using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Exporting;

/// <summary>What to export and where.</summary>
public sealed record ExportOptions
{
    /// <summary>The Hugging Face checkpoint folder (config.json, safetensors, tokenizer files).</summary>
    public required string InputDirectory { get; init; }

    /// <summary>The model folder to create.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Weight and activation precision; fp16 by default.</summary>
    public ExportPrecision Precision { get; init; } = ExportPrecision.Fp16;

    /// <summary>Block size, symmetry, accuracy level and lm_head choice for <see cref="ExportPrecision.Int4"/> / <see cref="ExportPrecision.Int8"/>; ignored otherwise.</summary>
    public QuantizationOptions Quantization { get; init; } = new();

    /// <summary>The runtime the graph is shaped for.</summary>
    public ExportTarget Target { get; init; } = ExportTarget.Cpu;

    /// <summary>Replace an existing output folder instead of refusing.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Longest sequence (prompt + output) the model folder supports; defaults to the config's
    /// max_position_embeddings for <see cref="ExportTarget.Cpu"/>, and to that capped at
    /// <see cref="DefaultCoreMLMaxLength"/> for <see cref="ExportTarget.CoreML"/> (whose whole KV buffer is a graph
    /// input on every step, so its length is paid per token). Smaller values shrink the rotary tables and the KV buffers.
    /// </summary>
    public int? MaxLength { get; init; }

    /// <summary>Tokens per prefill run of the <see cref="ExportTarget.CoreML"/> graph (a static shape; the last chunk is padded).</summary>
    public int PrefillChunk { get; init; } = DefaultPrefillChunk;

    /// <summary>
    /// Whether the cpu graph packs q/k/v into one projection where the architecture allows (see PackedProjections).
    /// Not public: always on for users; the benchmark's "-unpacked" variants and the equivalence test turn it off.
    /// </summary>
    internal bool PackProjections { get; init; } = true;

    /// <summary>Default <see cref="PrefillChunk"/>.</summary>
    public const int DefaultPrefillChunk = 64;

    /// <summary>Cap on the default <see cref="MaxLength"/> of a <see cref="ExportTarget.CoreML"/> export.</summary>
    public const int DefaultCoreMLMaxLength = 2048;
}
