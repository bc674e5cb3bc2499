using Google.Protobuf;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// The cpu graph's packed q/k/v projection (one MatMul / MatMulNBits feeding GroupQueryAttention's packed-QKV input)
/// against the same checkpoint exported with three projections: every output row is still one row of q, k or v, so
/// the two graphs must give the same logits up to float rounding, through prefill and the KV cache alike.
/// </summary>
[TestClass]
public sealed class PackedProjectionTests
{
    private const int DecodeSteps = 8;

    [TestMethod]
    [DataRow(ExportPrecision.Fp32, 1e-5)]  // measured: 0 at every precision (each row's dot product is computed alike)
    [DataRow(ExportPrecision.Int8, 1e-4)]
    [DataRow(ExportPrecision.Int4, 1e-4)]
    public async Task PackedQkv_GivesTheLogitsOfThreeProjections(ExportPrecision precision, double bound)
    {
        string packedFolder = await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096);
        string unpackedFolder = await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, packProjections: false);
        Assert.IsTrue((await GraphAsync(unpackedFolder)).Node.Where(n => n.OpType == "GroupQueryAttention").All(n => n.Input[1].Length > 0),
            "the reference export feeds GQA three projections");
        using var packed = ModelRunner.Load(packedFolder);
        using var unpacked = ModelRunner.Load(unpackedFolder);
        double worst = 0;
        foreach (var golden in Golden.Instance.Cases)
        {
            using var a = packed.CreateState(golden.InputIds.Length + DecodeSteps);
            using var b = unpacked.CreateState(golden.InputIds.Length + DecodeSteps);
            worst = Math.Max(worst, ModelRunner.MaxAbsDiff(a.Prefill(golden.InputIds), b.Prefill(golden.InputIds)));
            foreach (int token in golden.Greedy.Take(DecodeSteps))
                worst = Math.Max(worst, ModelRunner.MaxAbsDiff(a.Decode(token), b.Decode(token)));
        }
        Console.WriteLine($"{precision}: max |packed − unpacked| {worst:0.0e0}");
        Assert.IsLessThanOrEqualTo(bound, worst, $"{precision}: packed and unpacked logits");
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp32, "MatMul")]
    [DataRow(ExportPrecision.Int4, "MatMulNBits")]
    public async Task Qwen2_FeedsGroupQueryAttentionOnePackedProjection_WithItsBias(ExportPrecision precision, string linearOp)
    {
        var graph = await GraphAsync(await TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096));
        var attention = graph.Node.Where(n => n.OpType == "GroupQueryAttention").ToList();
        Assert.HasCount(2, attention, "one GQA per layer");
        foreach (var gqa in attention)
        {
            Assert.AreEqual("", gqa.Input[1], "key comes packed in query");
            Assert.AreEqual("", gqa.Input[2], "value comes packed in query");
        }
        Assert.IsFalse(graph.Node.Any(n => n.Name.Contains("/q_proj/", StringComparison.Ordinal) || n.Name.Contains("/k_proj/", StringComparison.Ordinal)),
            "no separate q or k projection");
        var packed = graph.Node.Where(n => n.Name.Contains("/attn/qkv_proj/", StringComparison.Ordinal) && n.OpType == linearOp).ToList();
        Assert.HasCount(2, packed);
        // Tiny config: 4 query heads and 2 kv heads of 16 → 64 + 2·32 = 128 packed outputs over hidden 64, with a 128-wide bias.
        var initializers = graph.Initializer.ToDictionary(i => i.Name);
        if (precision == ExportPrecision.Fp32)
        {
            CollectionAssert.AreEqual(new long[] { 64, 128 }, initializers[packed[0].Input[1]].Dims.ToArray());
            var add = graph.Node.Single(n => n.Input.Contains(packed[0].Output[0]) && n.OpType == "Add");
            Assert.AreEqual(128, initializers[add.Input[1]].Dims.Single());
        }
        else
        {
            Assert.AreEqual(128, packed[0].Attribute.Single(a => a.Name == "N").I);
            Assert.AreEqual(128, initializers[packed[0].Input[5]].Dims.Single(), "bias through MatMulNBits' bias input");
        }
    }

    [TestMethod]
    public async Task Qwen3_KeepsQueryAndKeyApart_ForItsPerHeadNorms()
    {
        var graph = await GraphAsync(await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32));
        foreach (var gqa in graph.Node.Where(n => n.OpType == "GroupQueryAttention"))
        {
            Assert.AreNotEqual("", gqa.Input[1]);
            Assert.AreNotEqual("", gqa.Input[2]);
        }
        Assert.IsFalse(graph.Node.Any(n => n.Name.Contains("/qkv_proj/", StringComparison.Ordinal)));
    }

    private static async Task<GraphProto> GraphAsync(string folder) =>
        ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(folder, "model.onnx"))).Graph;
}
