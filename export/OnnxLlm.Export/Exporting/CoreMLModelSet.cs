using System.Security.Cryptography;
using Google.Protobuf;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Qwen2;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// The two graphs of a <see cref="ExportTarget.CoreML"/> export — the one-token decode step and the fixed-size
/// prefill chunk — built over one shared weight file, and the Core ML cache key that names their content.
/// </summary>
internal static class CoreMLModelSet
{
    /// <summary>The decode-step graph (S = 1).</summary>
    public const string DecodeFileName = ModelFolderFiles.StaticDecodeGraph;

    /// <summary>The prefill graph (S = prefill chunk).</summary>
    public const string PrefillFileName = ModelFolderFiles.StaticPrefillGraph;

    /// <summary>The weight file both graphs read.</summary>
    public const string DataFileName = ModelFolderFiles.WeightData;

    /// <summary>Builds both graphs, writing each weight once through <paramref name="weights"/>.</summary>
    public static (GraphProto Decode, GraphProto Prefill) Build(Qwen2Config config, WeightWriter weights, int maxLength, int prefillChunk,
        Action<int>? onLayerDone, CancellationToken cancellationToken)
    {
        var shared = new InitializerCache();
        var decode = new GraphBuilder("decoder_step");
        Qwen2CoreMLGraph.Build(config, weights, shared, decode, 1, maxLength, onLayerDone, cancellationToken);
        var prefill = new GraphBuilder("decoder_prefill");
        Qwen2CoreMLGraph.Build(config, weights, shared, prefill, prefillChunk, maxLength, null, cancellationToken);
        return (decode.Graph, prefill.Graph);
    }

    /// <summary>
    /// Builds both models for <paramref name="config"/> without any weight values (offsets are laid out, nothing
    /// is read or written): for checking what Core ML would accept of a full-size model in a moment.
    /// </summary>
    public static IReadOnlyList<(string FileName, ModelProto Model)> BuildGraphOnly(Qwen2Config config, ExportPrecision precision,
        int maxLength, int prefillChunk)
    {
        using var data = ExternalDataWriter.Discarding(DataFileName);
        var writer = new WeightWriter(new ShapeOnlyWeights(config), data, precision);
        var (decode, prefill) = Build(config, writer, maxLength, prefillChunk, null, CancellationToken.None);
        var options = new ExportOptions { InputDirectory = "", OutputDirectory = "", Precision = precision, Target = ExportTarget.CoreML };
        return
        [
            (DecodeFileName, Qwen2Exporter.CreateModel(decode, options)),
            (PrefillFileName, Qwen2Exporter.CreateModel(prefill, options)),
        ];
    }

    /// <summary>
    /// Sets <c>COREML_CACHE_KEY</c>: ONNX Runtime keys its compiled Core ML model cache by it (alphanumeric, ≤ 64
    /// characters) and never invalidates the cache itself, so the key hashes the graph and the weight bytes:
    /// a re-export with other weights or shapes gets a fresh compile, and the two graphs of a folder never collide.
    /// </summary>
    public static void StampCacheKey(ModelProto model, string weightsHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(model.Graph.ToByteArray());
        hash.AppendData(System.Text.Encoding.ASCII.GetBytes(weightsHash));
        model.MetadataProps.Add(new StringStringEntryProto { Key = CacheKeyName, Value = "onnxllm" + Convert.ToHexString(hash.GetCurrentHash())[..40] });
    }

    /// <summary>The metadata key ONNX Runtime's CoreML EP reads.</summary>
    public const string CacheKeyName = GraphMetadata.CoreMLCacheKey;
}
