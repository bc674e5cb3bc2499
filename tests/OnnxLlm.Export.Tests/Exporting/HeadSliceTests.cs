using Google.Protobuf;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Qwen2;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// The head is one Gemm (float) or MatMulNBits (int4 / int8) per slice of its rows, each slice an initializer of its
/// own over bytes already in the file: for a tied head, the slices tile the embedding table's bytes exactly, so the
/// table is stored once yet ONNX Runtime can release each slice's mapping once it has prepacked it. The goldens
/// (GoldenExportTests, QuantizedExportTests) check the logits; this checks the layout that makes the memory claim.
/// </summary>
[TestClass]
public sealed class HeadSliceTests
{
    private const int Vocabulary = 151936;

    [TestMethod]
    [DataRow(ExportPrecision.Fp32)]
    [DataRow(ExportPrecision.Fp16)]
    [DataRow(ExportPrecision.Int8)]
    [DataRow(ExportPrecision.Int4)]
    public async Task TiedHead_ReadsTheTablesOwnBytesInContiguousSlices_ConcatenatedInVocabularyOrder(ExportPrecision precision)
    {
        var graph = await GraphAsync(await TestModels.TinyAsync(precision));
        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        bool quantized = precision.QuantizationBits() is not null;
        var lookup = graph.Node.Single(n => n.OpType is "Gather" || n.OpType == GatherBlockQuantizedNode.OpType);
        var heads = HeadNodes(graph);
        // qwen2-tiny's layers are tiny, so its head is cut into the most slices allowed.
        Assert.HasCount(Qwen2CpuGraph.MaxHeadSlices, heads);
        Assert.IsTrue(heads.All(h => h.OpType == (quantized ? MatMulNBitsNode.OpType : "Gemm")), $"{precision}: one product per slice");
        if (!quantized) Assert.IsTrue(heads.All(h => h.Attribute.Single(a => a.Name == "transB").I == 1), "Gemm(transB=1) reads [rows, hidden]");

        // Codes (or float rows), and for the int precisions the scales too: input 1 / 2 of MatMulNBits, 0 / 2 of the
        // lookup (which reads the scales per block, [N, k_blocks, 1]; the head the same bytes as [rows, k_blocks]).
        AssertTiles(heads.Select(h => initializers[h.Input[1]]).ToList(), initializers[lookup.Input[0]]);
        if (quantized) AssertTiles(heads.Select(h => initializers[h.Input[2]]).ToList(), initializers[lookup.Input[2]], sameRowShape: false);

        var concat = graph.Node.Single(n => n.OpType == "Concat" && n.Name.StartsWith("/lm_head/", StringComparison.Ordinal));
        CollectionAssert.AreEqual(heads.Select(h => h.Output[0]).ToArray(), concat.Input.ToArray(), "logits in vocabulary order");
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp32, false, false)]
    [DataRow(ExportPrecision.Fp16, true, false)]
    [DataRow(ExportPrecision.Int4, true, false)]
    [DataRow(ExportPrecision.Int4, true, true)]
    [DataRow(ExportPrecision.Int8, false, true)]
    public async Task EveryInitializerIsReadByANode(ExportPrecision precision, bool tied, bool asymmetric)
    {
        // A tensor written whole but read only through slices (an untied head, a tied table's packed zero points) stays
        // out of the graph: ONNX Runtime would map it for nothing, and warn.
        string folder = tied
            ? await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, quantization: new QuantizationOptions { Asymmetric = asymmetric })
            : await UntiedAsync(precision, asymmetric);
        var graph = await GraphAsync(folder);
        var read = graph.Node.SelectMany(n => n.Input).ToHashSet(StringComparer.Ordinal);
        CollectionAssert.AreEquivalent(Array.Empty<string>(), graph.Initializer.Select(i => i.Name).Where(n => !read.Contains(n)).ToArray(),
            "initializers no node reads");
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp32)]
    [DataRow(ExportPrecision.Int4)]
    public async Task UntiedHead_ReadsItsOwnBytesInContiguousSlices(ExportPrecision precision)
    {
        var graph = await GraphAsync(await UntiedAsync(precision, asymmetric: false));
        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        var heads = HeadNodes(graph);
        var rows = heads.Select(h => initializers[h.Input[1]]).ToList();
        var (start, _) = Range(rows[0]);
        var (end, length) = Range(rows[^1]);
        AssertTiles(rows, start, end + length - start, Vocabulary, rows[0]);
        // Those bytes are the head's alone: no other initializer lies in them.
        foreach (var other in graph.Initializer.Where(i => i.DataLocation == TensorProto.Types.DataLocation.External && !rows.Contains(i)))
        {
            var (o, l) = Range(other);
            Assert.IsTrue(o + l <= start || o >= end + length || heads.Any(h => h.Input.Contains(other.Name)),
                $"'{other.Name}' overlaps the head's bytes");
        }
    }

    [TestMethod]
    [DataRow("qwen2.5-0.5b-instruct", ExportPrecision.Fp32)]
    [DataRow("qwen2.5-1.5b-instruct", ExportPrecision.Fp16)]
    public void FloatHeadSlices_AtRealShapes_AreAtMostHalfALayer(string configName, ExportPrecision precision)
    {
        // While ONNX Runtime packs a float slice it holds it twice (its fp32 form and the packed copy): half a layer
        // keeps loading within one layer of the steady state (measured: docs/performance.md). Built without weights.
        var config = Qwen2Config.Load(TestModels.TestData("configs", configName, "config.json"));
        using var data = ExternalDataWriter.Discarding(OnnxLlm.ModelFolder.ModelFolderFiles.WeightData);
        var graph = new GraphBuilder("decoder");
        Qwen2CpuGraph.Build(config, new WeightWriter(new ShapeOnlyWeights(config), data, precision), graph, maxLength: 4096, null, CancellationToken.None);
        var initializers = graph.Graph.Initializer.ToDictionary(i => i.Name);
        long layer = graph.Graph.Initializer.Where(i => i.Name.StartsWith("model.layers.0.", StringComparison.Ordinal) && i.Dims.Count == 2).Sum(Elements);
        var heads = HeadNodes(graph.Graph);
        Assert.IsGreaterThan(1, heads.Count, "a real head is sliced");
        Assert.AreEqual(config.VocabSize, heads.Sum(h => initializers[h.Input[1]].Dims[0]), "the slices cover the vocabulary");
        foreach (var head in heads)
            // Rows are split evenly, so a slice may exceed half a layer by less than one row.
            Assert.IsLessThan(layer / 2 + config.HiddenSize, Elements(initializers[head.Input[1]]), head.Name);
    }

    private static long Elements(TensorProto tensor) => tensor.Dims.Aggregate(1L, (a, d) => a * d);

    private static Task<string> UntiedAsync(ExportPrecision precision, bool asymmetric) =>
        TestModels.ExportAsync(TestModels.UntiedTinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, quantization: new QuantizationOptions { Asymmetric = asymmetric });

    private static List<NodeProto> HeadNodes(GraphProto graph) =>
        graph.Node.Where(n => n.Name.StartsWith("/lm_head/", StringComparison.Ordinal) && (n.OpType == "Gemm" || n.OpType == MatMulNBitsNode.OpType)).ToList();

    /// <summary>The slices, in order, cover <paramref name="table"/>'s bytes back to back, and its rows.</summary>
    private static void AssertTiles(List<TensorProto> slices, TensorProto table, bool sameRowShape = true)
    {
        var (offset, length) = Range(table);
        Assert.AreEqual(Vocabulary, table.Dims[0]);
        AssertTiles(slices, offset, length, table.Dims[0], table, sameRowShape);
    }

    private static void AssertTiles(List<TensorProto> slices, long offset, long length, long rows, TensorProto shape, bool sameRowShape = true)
    {
        long next = offset, rowCount = 0;
        foreach (var slice in slices)
        {
            var (o, l) = Range(slice);
            Assert.AreEqual(next, o, $"'{slice.Name}' starts where the previous slice ended");
            Assert.AreEqual(shape.DataType, slice.DataType, slice.Name);
            if (sameRowShape) CollectionAssert.AreEqual(shape.Dims.Skip(1).ToArray(), slice.Dims.Skip(1).ToArray(), $"'{slice.Name}' keeps the row shape");
            long rowElements = shape.Dims.Skip(1).Aggregate(1L, (a, d) => a * d);
            Assert.AreEqual(rowElements, slice.Dims.Skip(1).Aggregate(1L, (a, d) => a * d), $"'{slice.Name}' rows hold as many elements as the table's");
            Assert.AreEqual(rowElements * slice.Dims[0] * ((OnnxDataType)slice.DataType).ElementSize(), l, $"'{slice.Name}' length matches its rows");
            next = o + l;
            rowCount += slice.Dims[0];
        }
        Assert.AreEqual(offset + length, next, "the slices end where the table ends");
        Assert.AreEqual(rows, rowCount, "the slices cover every row");
    }

    private static (long Offset, long Length) Range(TensorProto tensor)
    {
        var stored = ExternalDataWriter.StoredAt(tensor) ?? throw new AssertFailedException($"'{tensor.Name}' is not in external data.");
        Assert.AreEqual(OnnxLlm.ModelFolder.ModelFolderFiles.WeightData, stored.Location, tensor.Name);
        return (stored.Offset, stored.Length);
    }

    private static async Task<GraphProto> GraphAsync(string folder) =>
        ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(folder, "model.onnx"))).Graph;
}
