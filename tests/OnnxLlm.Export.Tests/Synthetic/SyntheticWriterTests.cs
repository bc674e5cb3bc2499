using System.Text.Json;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Synthetic;

[TestClass]
public sealed class SyntheticWriterTests
{
    // Small untied config: every tensor is a few KB, so sharding at 6000 bytes splits layers across shards.
    private const string SmallConfig = """
        {
          "architectures": ["Qwen2ForCausalLM"],
          "hidden_act": "silu",
          "hidden_size": 32,
          "intermediate_size": 48,
          "max_position_embeddings": 128,
          "model_type": "qwen2",
          "num_attention_heads": 4,
          "num_hidden_layers": 2,
          "num_key_value_heads": 2,
          "rms_norm_eps": 1e-06,
          "rope_theta": 10000.0,
          "tie_word_embeddings": false,
          "torch_dtype": "bfloat16",
          "use_sliding_window": false,
          "vocab_size": 96
        }
        """;

    private TempDirectory _temp = null!;
    private string _configPath = null!;

    [TestInitialize]
    public void CreateFolder()
    {
        _temp = new TempDirectory("synthetic");
        _configPath = _temp.Combine("config.json");
        File.WriteAllText(_configPath, SmallConfig);
    }

    [TestCleanup]
    public void DeleteFolder() => _temp.Dispose();

    [TestMethod]
    public async Task ShardedCheckpoint_ReadsBackIdenticalToSingleFile()
    {
        string single = _temp.Combine("single");
        string sharded = _temp.Combine("sharded");
        await SyntheticCheckpointWriter.WriteAsync(_configPath, 7, single);
        await SyntheticCheckpointWriter.WriteAsync(_configPath, 7, sharded, new SyntheticCheckpointOptions { MaxShardBytes = 6000 });

        Assert.IsFalse(File.Exists(Path.Combine(single, SafetensorsIndex.FileName)));
        Assert.IsFalse(File.Exists(Path.Combine(sharded, SafetensorsCheckpoint.SingleFileName)));
        using var one = SafetensorsCheckpoint.Open(single);
        using var many = SafetensorsCheckpoint.Open(sharded);
        Assert.IsNotNull(many.Index);
        Assert.IsGreaterThan(2, many.FilePaths.Count);
        Assert.AreEqual("model-00001-of-", Path.GetFileName(many.Get("model.embed_tokens.weight").FilePath)[..15]);
        Assert.AreEqual(1, many.Tensors.Values.Count(t => t.FilePath == many.Get("model.embed_tokens.weight").FilePath));
        Assert.IsTrue(one.Contains("lm_head.weight"), "untied config must write lm_head");
        CollectionAssert.AreEquivalent(one.Tensors.Keys.ToArray(), many.Tensors.Keys.ToArray());
        foreach (string name in one.Tensors.Keys)
        {
            CollectionAssert.AreEqual(one.Get(name).Shape, many.Get(name).Shape, name);
            Assert.IsTrue(one.GetBytes(name).SequenceEqual(many.GetBytes(name)), name);
        }

        // Module-order filling splits at least one layer across two shards, as transformers would.
        string ShardOf(string tensor) => Path.GetFileName(many.Get(tensor).FilePath);
        var layerShards = many.Tensors.Keys
            .Where(n => n.StartsWith("model.layers.0.", StringComparison.Ordinal))
            .Select(ShardOf).Distinct().Count();
        Assert.IsGreaterThan(1, layerShards);
        var shardFiles = Directory.GetFiles(sharded, "model-*.safetensors").Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.AreEqual($"model-00001-of-{shardFiles.Length:00000}.safetensors", shardFiles[0]);

        // metadata.total_size is the sum of tensor bytes.
        long totalBytes = one.Tensors.Values.Sum(t => t.ByteLength);
        Assert.AreEqual(totalBytes.ToString(), many.Metadata["total_size"]);
        foreach (string shard in shardFiles)
        {
            using var file = SafetensorsFile.Open(Path.Combine(sharded, shard));
            // The 6144-byte embedding exceeds the limit and so gets a shard of its own; every other shard fits.
            Assert.IsTrue(file.Tensors.Values.Sum(t => t.ByteLength) <= 6000 || file.Tensors.Count == 1, shard);
        }
    }

    [TestMethod]
    public async Task Layout_MatchesSpecShapes()
    {
        string folder = _temp.Combine("layout");
        await SyntheticCheckpointWriter.WriteAsync(_configPath, 1, folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        // 1 embedding + 2 layers × 12 + final norm + lm_head.
        Assert.AreEqual(27, checkpoint.Tensors.Count);
        CollectionAssert.AreEqual(new long[] { 96, 32 }, checkpoint.Get("model.embed_tokens.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 32, 32 }, checkpoint.Get("model.layers.1.self_attn.q_proj.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 16, 32 }, checkpoint.Get("model.layers.1.self_attn.k_proj.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 16 }, checkpoint.Get("model.layers.1.self_attn.v_proj.bias").Shape);
        CollectionAssert.AreEqual(new long[] { 32, 32 }, checkpoint.Get("model.layers.1.self_attn.o_proj.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 32, 48 }, checkpoint.Get("model.layers.0.mlp.down_proj.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 48, 32 }, checkpoint.Get("model.layers.0.mlp.up_proj.weight").Shape);
        CollectionAssert.AreEqual(new long[] { 96, 32 }, checkpoint.Get("lm_head.weight").Shape);
        Assert.IsFalse(checkpoint.Contains("model.layers.0.self_attn.o_proj.bias"));
        Assert.AreEqual(SyntheticCheckpointWriter.DefaultGenerationConfig, File.ReadAllText(Path.Combine(folder, "generation_config.json")));
        CollectionAssert.AreEqual(File.ReadAllBytes(_configPath), File.ReadAllBytes(Path.Combine(folder, "config.json")));
    }

    [TestMethod]
    public async Task Values_FollowTheSpecFormulas()
    {
        // Recomputes a few elements straight from the spec text, independently of SyntheticWeights.
        string folder = _temp.Combine("values");
        const ulong seed = 0xDEADBEEF;
        await SyntheticCheckpointWriter.WriteAsync(_configPath, seed, folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        (string Name, Func<double, double> Value)[] cases =
        [
            ("model.norm.weight", r => 1 + 0.25 * r),
            ("model.layers.0.self_attn.k_proj.bias", r => 0.5 * r),
            ("lm_head.weight", r => 0.5 * r),
            ("model.layers.1.mlp.down_proj.weight", r => r * Math.Sqrt(3.0 / 48) / Math.Sqrt(2.0 * 2)),
            ("model.layers.1.mlp.gate_proj.weight", r => r * Math.Sqrt(3.0 / 32)),
        ];
        foreach (var (name, formula) in cases)
        {
            var values = ReadAll(checkpoint, name);
            foreach (long i in new long[] { 0, 1, values.Length - 1 })
            {
                double expected = formula(ReferenceUniform(name, seed, i));
                // bf16 keeps 8 significant bits: the stored value is within 2^-8 relative of the float64 value.
                Assert.AreEqual(expected, values[i], Math.Abs(expected) / 256 + 1e-30, $"{name}[{i}]");
            }
        }
    }

    [TestMethod]
    public async Task Cancellation_LeavesNothingAtTarget()
    {
        string target = _temp.Combine("cancelled");
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<SyntheticProgress>(_ => cts.Cancel());
        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            SyntheticCheckpointWriter.WriteAsync(TestData.TinyConfig, 22, target, null, progress, cts.Token));
        Assert.IsTrue(progress.Reports > 0, "the write must have started before it was cancelled");
        Assert.IsFalse(Directory.Exists(target));
        // Neither the target nor the temporary folder beside it survives.
        CollectionAssert.AreEquivalent(new[] { "config.json" }, Directory.GetFileSystemEntries(_temp.Path).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public async Task ExistingTarget_RequiresOverwrite()
    {
        string target = _temp.Combine("existing");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "stale.txt"), "old");
        await Assert.ThrowsExactlyAsync<IOException>(() => SyntheticCheckpointWriter.WriteAsync(_configPath, 1, target));
        Assert.IsTrue(File.Exists(Path.Combine(target, "stale.txt")));

        await SyntheticCheckpointWriter.WriteAsync(_configPath, 1, target, new SyntheticCheckpointOptions { Overwrite = true });
        Assert.IsFalse(File.Exists(Path.Combine(target, "stale.txt")));
        Assert.IsTrue(File.Exists(Path.Combine(target, "model.safetensors")));
    }

    [TestMethod]
    public async Task Progress_ReachesTotal()
    {
        var reports = new List<SyntheticProgress>();
        await SyntheticCheckpointWriter.WriteAsync(_configPath, 1, _temp.Combine("progress"), null, new SynchronousProgress<SyntheticProgress>(reports.Add));
        var last = reports[^1];
        Assert.AreEqual(27, last.TensorCount);
        Assert.AreEqual(last.TensorCount, last.TensorsCompleted);
        Assert.AreEqual(last.TotalBytes, last.BytesWritten);
        Assert.AreEqual(1.0, last.Fraction);
    }

    [TestMethod]
    public void ValueHelper_RejectsUnknownTensorAndIndex()
    {
        var config = Qwen2Config.Load(_configPath);
        Assert.ThrowsExactly<ArgumentException>(() => SyntheticWeights.GetValue(config, "model.layers.2.mlp.up_proj.weight", 0, 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => SyntheticWeights.GetValue(config, "model.norm.weight", 32, 1));
    }

    private static float[] ReadAll(SafetensorsCheckpoint checkpoint, string name)
    {
        var values = new float[checkpoint.Get(name).ElementCount];
        checkpoint.ReadAsFloat32(name, values);
        return values;
    }

    // The spec, transcribed literally.
    private static double ReferenceUniform(string name, ulong seed, long index)
    {
        ulong key = 0xcbf29ce484222325;
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(name)) key = unchecked((key ^ b) * 0x100000001b3);
        key ^= seed;
        ulong z = unchecked(key + ((ulong)index + 1) * 0x9E3779B97F4A7C15);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EB);
        z ^= z >> 31;
        return 2 * ((z >> 40) / Math.Pow(2, 24)) - 1;
    }
}
