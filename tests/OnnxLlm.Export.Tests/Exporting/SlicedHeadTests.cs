using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Qwen2;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// An fp16 float head is cut into Gemms over contiguous slices of the table (so ONNX Runtime's load-time fp32 copy of
/// it is made one slice at a time); fp32 heads stay one Gemm. The fp16 goldens (GoldenExportTests) check the logits.
/// </summary>
[TestClass]
public sealed class SlicedHeadTests
{
    [TestMethod]
    public async Task Fp16Head_IsGemmsOverContiguousSlicesOfTheTiedTable_Concatenated()
    {
        var graph = await GraphAsync(ExportPrecision.Fp16);
        var table = graph.Node.Single(n => n.OpType == "Gather").Input[0];
        var constants = graph.Initializer.ToDictionary(i => i.Name);
        var slices = graph.Node.Where(n => n.OpType == "Slice" && n.Name.StartsWith("/lm_head/Slice_", StringComparison.Ordinal)).ToList();
        // qwen2-tiny's layers are tiny, so its head is cut into the most slices allowed.
        Assert.HasCount(Qwen2CpuGraph.MaxHeadSlices, slices);
        long next = 0;
        foreach (var slice in slices)
        {
            Assert.AreEqual(table, slice.Input[0], "every slice reads the tied table itself (stored once)");
            long start = Scalar(constants[slice.Input[1]]), end = Scalar(constants[slice.Input[2]]);
            Assert.AreEqual(next, start, "slices are contiguous");
            Assert.AreEqual(0, Scalar(constants[slice.Input[3]]), "sliced along the vocabulary");
            next = end;
            var gemm = graph.Node.Single(n => n.OpType == "Gemm" && n.Input[1] == slice.Output[0]);
            Assert.AreEqual(1, gemm.Attribute.Single(a => a.Name == "transB").I);
        }
        Assert.AreEqual(151936, next, "the slices cover the vocabulary");
        var concat = graph.Node.Single(n => n.OpType == "Concat" && n.Name.StartsWith("/lm_head/", StringComparison.Ordinal));
        CollectionAssert.AreEqual(slices.Select(s => graph.Node.Single(n => n.Input.Contains(s.Output[0])).Output[0]).ToArray(), concat.Input.ToArray(),
            "logits in vocabulary order");
    }

    [TestMethod]
    public async Task Fp32Head_IsOneGemm()
    {
        var graph = await GraphAsync(ExportPrecision.Fp32);
        Assert.AreEqual(1, graph.Node.Count(n => n.OpType == "Gemm"));
        Assert.IsFalse(graph.Node.Any(n => n.OpType == "Slice" && n.Name.StartsWith("/lm_head/Slice", StringComparison.Ordinal)));
    }

    private static long Scalar(TensorProto tensor) =>
        tensor.Int64Data.Count > 0 ? tensor.Int64Data[0] : BitConverter.ToInt64(tensor.RawData.Span[..8]);

    private static async Task<GraphProto> GraphAsync(ExportPrecision precision) =>
        ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(await TestModels.TinyAsync(precision), "model.onnx"))).Graph;
}
