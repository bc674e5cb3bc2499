using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.CoreML;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Export.Tests.CoreML;

/// <summary>
/// What the CoreML checker says about our exports: the coreml target is wholly Core ML (no rejected node, one
/// partition per file, every shape static) at tiny, Qwen2.5 0.5B / 1.5B and Qwen3 0.6B / 1.7B shapes; the cpu target is not.
/// </summary>
[TestClass]
public sealed class CoreMLExportCheckTests
{
    private static readonly CoreMLCheckOptions Strict = new() { RequireStaticShapes = true };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(ExportPrecision.Fp16, false)]
    [DataRow(ExportPrecision.Fp32, false)]
    [DataRow(ExportPrecision.Fp16, true)]
    public async Task TinyCoreMLExport_EveryNodeAccepted_OnePartitionPerFile(ExportPrecision precision, bool qwen3)
    {
        var reports = CoreMLChecker.CheckFolder(await (qwen3 ? TestModels.Qwen3TinyCoreMLAsync(precision) : TestModels.TinyCoreMLAsync(precision)), Strict);
        CollectionAssert.AreEquivalent(new[] { "decoder_prefill.onnx", "decoder_step.onnx" }, reports.Select(r => r.File).ToArray());
        foreach (var report in reports)
        {
            TestContext.WriteLine(report.Format());
            Assert.IsEmpty(report.Rejections, report.Format());
            CollectionAssert.AreEqual(new[] { report.NodeCount }, report.Partitions.ToArray(), report.Format());
        }
    }

    [TestMethod]
    [DataRow("qwen2.5-0.5b-instruct", ExportPrecision.Fp16)]
    [DataRow("qwen2.5-1.5b-instruct", ExportPrecision.Fp16)]
    [DataRow("qwen2.5-1.5b-instruct", ExportPrecision.Fp32)]
    [DataRow("qwen3-0.6b", ExportPrecision.Fp16)]
    [DataRow("qwen3-1.7b", ExportPrecision.Fp16)]
    public void RealConfigGraphs_EveryNodeAccepted_OnePartitionPerFile(string configName, ExportPrecision precision)
    {
        var config = Qwen2Config.Load(TestModels.TestData("configs", configName, "config.json"));
        var models = CoreMLModelSet.BuildGraphOnly(config, precision, ExportOptions.DefaultCoreMLMaxLength, ExportOptions.DefaultPrefillChunk);
        Assert.HasCount(2, models);
        foreach (var (file, model) in models)
        {
            var report = CoreMLChecker.Check(model, $"{configName}/{file}", Strict);
            TestContext.WriteLine(report.Format());
            Assert.IsEmpty(report.Rejections, report.Format());
            Assert.HasCount(1, report.Partitions, report.Format());
            Assert.AreEqual(report.NodeCount, report.Partitions[0]);
            // Every op is from the default domain and the model declares no other opset.
            Assert.IsTrue(model.Graph.Node.All(n => n.Domain == ""));
            Assert.IsTrue(model.OpsetImport.All(o => o.Domain == ""));
        }
    }

    [TestMethod]
    public async Task CpuTargetExport_IsRejected_ForContribOpsAndDynamicReshapes()
    {
        var report = CoreMLChecker.CheckFolder(await TestModels.TinyAsync(ExportPrecision.Fp16)).Single();
        TestContext.WriteLine(report.Format());
        var byOp = report.Rejections.ToLookup(r => r.OpType);
        Assert.IsTrue(byOp["com.microsoft.GroupQueryAttention"].All(r => r.Rule == CoreMLRule.NonDefaultDomain));
        Assert.HasCount(2, byOp["com.microsoft.GroupQueryAttention"], "one per layer");
        Assert.IsTrue(byOp["com.microsoft.SkipSimplifiedLayerNormalization"].Any());
        Assert.IsTrue(byOp["SimplifiedLayerNormalization"].Any(r => r.Rule == CoreMLRule.UnsupportedOp));
        Assert.IsTrue(report.Rejections.Any(r => r.OpType == "Slice" && r.Rule == CoreMLRule.DynamicShapeInput), "lm_head slices the last position of a dynamic tensor");
        Assert.IsTrue(report.Rejections.Any(r => r.OpType == "Reshape" && r.Rule == CoreMLRule.DynamicShapeInput), "lm_head reshapes a dynamic tensor");
        Assert.IsFalse(report.Rejections.Any(r => r.Rule == CoreMLRule.UnknownShape), "shape inference covers every op of the cpu graph");
        Assert.IsGreaterThan(1, report.Partitions.Count, "the contrib ops cut the graph into several partitions");
        Assert.IsFalse(report.IsFullyCoreML);
    }

    [TestMethod]
    public async Task CoreMLFiles_CarryDistinctContentCacheKeys()
    {
        string folder = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16);
        var keys = new[] { CoreMLModelSet.DecodeFileName, CoreMLModelSet.PrefillFileName }.Select(f =>
        {
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, f)));
            return model.MetadataProps.Single(p => p.Key == "COREML_CACHE_KEY").Value;
        }).ToArray();
        foreach (var key in keys)
        {
            Assert.IsLessThanOrEqualTo(64, key.Length);
            Assert.IsTrue(key.All(char.IsAsciiLetterOrDigit), key);
        }
        Assert.AreNotEqual(keys[0], keys[1], "the two graphs must not share a compiled-model cache entry");
        var fp32 = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32), CoreMLModelSet.DecodeFileName)));
        Assert.AreNotEqual(keys[0], fp32.MetadataProps.Single(p => p.Key == "COREML_CACHE_KEY").Value, "other weights, other key");
    }

    [TestMethod]
    public async Task CoreMLTarget_WritesContract_AndOneSharedWeightFile()
    {
        string folder = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16);
        var contract = OnnxLlm.ModelFolder.StaticKv.StaticKvContract.Load(Path.Combine(folder, OnnxLlm.ModelFolder.StaticKv.StaticKvContract.FileName));
        Assert.AreEqual(256, contract.MaxLength);
        Assert.AreEqual(TestModels.TinyCoreMLChunk, contract.PrefillChunk);
        Assert.IsFalse(File.Exists(Path.Combine(folder, "model.onnx")));
        var locations = new[] { contract.DecodeFile, contract.PrefillFile }
            .SelectMany(f => ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(folder, f))).Graph.Initializer)
            .Where(t => t.DataLocation == TensorProto.Types.DataLocation.External)
            .Select(t => t.ExternalData.Single(e => e.Key == "location").Value).Distinct().ToArray();
        CollectionAssert.AreEqual(new[] { "model.onnx.data" }, locations);
        // The shared file holds each weight once: not much more than the cpu export's.
        long cpuBytes = new FileInfo(Path.Combine(await TestModels.TinyAsync(ExportPrecision.Fp16), "model.onnx.data")).Length;
        long coremlBytes = new FileInfo(Path.Combine(folder, "model.onnx.data")).Length;
        Assert.IsLessThan(cpuBytes * 1.1, coremlBytes);
    }

    [TestMethod]
    [DataRow(ExportPrecision.Int4)]
    [DataRow(ExportPrecision.Int8)]
    public async Task CoreMLTarget_RefusesQuantizedPrecisions_NamingMatMulNBits(ExportPrecision precision)
    {
        string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        var ex = await Assert.ThrowsExactlyAsync<ArgumentException>(() => Qwen2Exporter.ExportAsync(new ExportOptions
        {
            InputDirectory = checkpoint,
            OutputDirectory = Path.Combine(TestModels.Root, $"refused-{precision}"),
            Precision = precision,
            Target = ExportTarget.CoreML,
        }));
        StringAssert.Contains(ex.Message, "MatMulNBits");
        Assert.IsFalse(Directory.Exists(Path.Combine(TestModels.Root, $"refused-{precision}")));
    }
}
