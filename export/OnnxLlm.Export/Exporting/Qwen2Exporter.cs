using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Qwen2;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// Exports a Hugging Face Qwen2 / Qwen2.5 / Qwen3 checkpoint folder to an ONNX model folder: <c>model.onnx</c>,
/// <c>model.onnx.data</c>, <c>genai_config.json</c> and the tokenizer files (cpu target), or, for the coreml
/// target, <c>decoder_step.onnx</c> + <c>decoder_prefill.onnx</c> over one <c>model.onnx.data</c> and
/// <c>onnxllm_contract.json</c>. The folder is assembled in a
/// temporary folder beside the target and moved into place only when complete, so an interrupted export
/// never leaves a half-written model where a loader would find it.
/// </summary>
public static class Qwen2Exporter
{
    /// <summary>The ONNX IR version written (ONNX 1.15+).</summary>
    private const long IrVersion = 10;

    /// <summary>The default-domain opset the graphs use.</summary>
    private const long OnnxOpset = 21;

    /// <summary>Name of the export report written into every model folder.</summary>
    public const string ReportFileName = ModelFolderFiles.ExportReport;

    /// <summary>Files copied from the checkpoint when present: tokenizer, chat template and generation settings.</summary>
    internal static readonly IReadOnlyList<string> CopiedFiles =
    [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "vocab.json",
        "merges.txt", "special_tokens_map.json", "added_tokens.json",
    ];

    /// <summary>Runs the export.</summary>
    /// <exception cref="DirectoryNotFoundException">The input folder does not exist.</exception>
    /// <exception cref="IOException">The output folder exists and <see cref="ExportOptions.Overwrite"/> is false.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed or not a supported Qwen2 / Qwen3 model.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; nothing is left at the output path.</exception>
    public static Task<ExportReport> ExportAsync(ExportOptions options, IProgress<ExportProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The work is CPU- and disk-bound; run it off the caller's thread so UIs and hosts stay responsive.
        return Task.Run(() => Export(options, progress, cancellationToken), cancellationToken);
    }

    private static ExportReport Export(ExportOptions options, IProgress<ExportProgress>? progress, CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        string input = Path.GetFullPath(options.InputDirectory);
        string output = Path.GetFullPath(options.OutputDirectory);
        if (!Directory.Exists(input))
            throw new DirectoryNotFoundException($"Checkpoint folder not found: {input}");
        if (Directory.Exists(output) && !options.Overwrite)
            throw new IOException($"Output folder already exists: {output} (pass --force / Overwrite to replace it).");
        if (File.Exists(output))
            throw new IOException($"Output path is a file: {output}");

        var config = Qwen2Config.Load(Path.Combine(input, "config.json"));
        bool coreml = options.Target == ExportTarget.CoreML;
        int maxLength = options.MaxLength ?? (coreml ? Math.Min(config.MaxPositionEmbeddings, ExportOptions.DefaultCoreMLMaxLength) : config.MaxPositionEmbeddings);
        if (maxLength <= 0) throw new ArgumentOutOfRangeException(nameof(options), maxLength, "MaxLength must be positive.");
        int? bits = options.Precision.QuantizationBits();
        if (coreml && bits is not null)
            throw new ArgumentException(
                $"Precision {options.Precision.ToString().ToLowerInvariant()} is not available for the coreml target: it needs MatMulNBits, a com.microsoft " +
                "contrib op that ONNX Runtime's CoreML execution provider does not run (every such node would fall back to the CPU). Use fp16 or fp32.",
                nameof(options));
        if (coreml && (options.PrefillChunk < 2 || options.PrefillChunk > maxLength))
            throw new ArgumentOutOfRangeException(nameof(options), options.PrefillChunk,
                $"PrefillChunk must be between 2 and the max length ({maxLength}).");
        if (bits is not null)
            (options.Quantization ?? throw new ArgumentException($"ExportOptions.Quantization must be set for {options.Precision}.", nameof(options))).Validate();

        string parent = Path.GetDirectoryName(output) ?? throw new IOException($"Output path has no parent folder: {output}");
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(output)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            using var weights = CheckpointWeights.Open(input);
            long elements, clamped;
            QuantizationReport? quantization;
            // The coreml graphs carry a content key (COREML_CACHE_KEY) that covers the weight bytes.
            using (var data = new ExternalDataWriter(Path.Combine(staging, ModelFolderFiles.WeightData), hashContent: coreml))
            {
                bool packQkv = !coreml && options.PackProjections && PackedProjections.PacksQkv(config);
                var writer = new WeightWriter(packQkv ? PackedProjections.Over(weights, config) : weights, data, options.Precision);
                var quantizer = bits is int b ? new QuantizedLinearWriter(writer, b, options.Quantization) : null;
                progress?.Report(new ExportProgress("layers", 0, config.NumHiddenLayers));
                Action<int> onLayer = layer => progress?.Report(new ExportProgress("layers", layer + 1, config.NumHiddenLayers));
                if (coreml)
                {
                    var (decode, prefill) = CoreMLModelSet.Build(config, writer, maxLength, options.PrefillChunk, onLayer, cancellationToken);
                    progress?.Report(new ExportProgress("writing model", 0, 1));
                    string weightsHash = data.ContentHash();
                    foreach (var (file, graph) in new[] { (CoreMLModelSet.DecodeFileName, decode), (CoreMLModelSet.PrefillFileName, prefill) })
                    {
                        var model = CreateModel(graph, options);
                        CoreMLModelSet.StampCacheKey(model, weightsHash);
                        Save(Path.Combine(staging, file), model);
                    }
                    StaticKvContractWriter.Write(Path.Combine(staging, ModelFolderFiles.StaticKvContract), config.NumHiddenLayers,
                        config.NumKeyValueHeads, config.HeadDim, config.VocabSize, maxLength, options.PrefillChunk, writer.DataType);
                }
                else
                {
                    var graph = new GraphBuilder("main_graph");
                    Qwen2CpuGraph.Build(config, writer, graph, maxLength, onLayer, cancellationToken, quantizer, packQkv);
                    progress?.Report(new ExportProgress("writing model", 0, 1));
                    var model = CreateModel(graph.Graph, options);
                    // Tells OnnxLlm's engine that total_sequence_length comes from the mask's contents, not its width,
                    // so it may bind one fixed-width mask for a whole generation.
                    model.MetadataProps.Add(new StringStringEntryProto { Key = GraphMetadata.AttentionMaskKey, Value = GraphMetadata.AttentionMaskCounted });
                    Save(Path.Combine(staging, ModelFolderFiles.DecoderGraph), model);
                }
                elements = writer.ElementsWritten;
                clamped = writer.ClampedValues;
                quantization = quantizer?.BuildReport();
            }
            cancellationToken.ThrowIfCancellationRequested();

            foreach (var name in CopiedFiles)
            {
                string source = Path.Combine(input, name);
                if (File.Exists(source)) File.Copy(source, Path.Combine(staging, name));
            }
            GenAiConfigWriter.Write(Path.Combine(staging, ModelFolderFiles.GenAiConfig), config,
                Path.Combine(input, ModelFolderFiles.GenerationConfig), maxLength, staticKv: coreml);

            var report = new ExportReport
            {
                OutputDirectory = output,
                Precision = options.Precision,
                Target = options.Target,
                ElementsWritten = elements,
                ClampedValues = clamped,
                Quantization = quantization,
                MaxLength = maxLength,
                PrefillChunk = coreml ? options.PrefillChunk : null,
                Files = new DirectoryInfo(staging).GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
                    .ToDictionary(f => f.Name, f => f.Length),
                ElapsedSeconds = Math.Round(stopwatch.Elapsed.TotalSeconds, 3),
            };
            File.WriteAllText(Path.Combine(staging, ReportFileName), JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
            cancellationToken.ThrowIfCancellationRequested();

            Publish(staging, output);
            progress?.Report(new ExportProgress("done", 1, 1));
            return report;
        }
        catch
        {
            TryDelete(staging);
            throw;
        }
    }

    /// <summary>Wraps a graph in a model with our opsets and metadata (precision, target, quantization).</summary>
    internal static ModelProto CreateModel(GraphProto graph, ExportOptions options)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "OnnxLlm",
            ProducerVersion = typeof(Qwen2Exporter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxOpset });
        // The coreml graphs use the default domain only; declaring com.microsoft would only invite doubt.
        if (options.Target != ExportTarget.CoreML)
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "onnxllm.precision", Value = options.Precision.ToString().ToLowerInvariant() });
        model.MetadataProps.Add(new StringStringEntryProto { Key = "onnxllm.target", Value = options.Target.ToString().ToLowerInvariant() });
        if (options.Precision.QuantizationBits() is int bits)
        {
            var q = options.Quantization;
            model.MetadataProps.Add(new StringStringEntryProto
            {
                Key = "onnxllm.quantization",
                Value = $"MatMulNBits bits={bits} block_size={q.BlockSizeFor(bits)} {(q.Asymmetric ? "asymmetric" : "symmetric")} accuracy_level={q.AccuracyLevel} lm_head={(q.QuantizeLmHead ? "quantized" : "float")}",
            });
        }
        return model;
    }

    private static void Save(string path, ModelProto model)
    {
        using var stream = File.Create(path);
        model.WriteTo(stream);
    }

    /// <summary>Moves the finished folder into place, replacing an old one only once the new one is complete.</summary>
    private static void Publish(string staging, string output)
    {
        if (Directory.Exists(output))
        {
            string old = staging + ".old";
            Directory.Move(output, old);
            Directory.Move(staging, output);
            TryDelete(old);
        }
        else
        {
            Directory.Move(staging, output);
        }
    }

    private static void TryDelete(string directory)
    {
        try { if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
