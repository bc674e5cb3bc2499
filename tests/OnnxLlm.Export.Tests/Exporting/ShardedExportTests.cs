using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>A sharded checkpoint (index + shards, a layer split across files) exports to the same model as one file.</summary>
[TestClass]
public sealed class ShardedExportTests
{
    [TestMethod]
    public async Task ShardedUntiedCheckpoint_ExportsToTheSameLogitsAsOneFile()
    {
        string config = TestModels.TestData("configs", "synthetic", "mha-untied-hd32.json");
        // ~200 KB shards split this 2-layer model's tensors over several files, layers included.
        string sharded = await TestModels.CheckpointAsync(config, 11, tokenizer: null, maxShardBytes: 200_000);
        Assert.IsTrue(File.Exists(Path.Combine(sharded, "model.safetensors.index.json")), "expected a sharded checkpoint");
        Assert.IsGreaterThan(2, Directory.GetFiles(sharded, "model-*-of-*.safetensors").Length, "expected several shards");

        var ids = new[] { 5, 17, 998, 3, 450, 0, 77 };
        var fromShards = ModelRunner.PrefillLogits(await TestModels.ExportAsync(config, 11, ExportPrecision.Fp32, null, maxShardBytes: 200_000), ids);
        var fromOneFile = ModelRunner.PrefillLogits(await TestModels.ExportAsync(config, 11, ExportPrecision.Fp32, null), ids);
        Assert.AreEqual(0.0, ModelRunner.MaxAbsDiff(fromShards, fromOneFile), "sharding must not change a single weight");
    }
}
