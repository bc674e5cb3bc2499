using System.Security.Cryptography;
using System.Text.Json;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Synthetic;

/// <summary>
/// The synthetic writer against golden.json, whose hashes come from an independent (Python) implementation of the
/// spec that also fed Hugging Face transformers: matching them proves the two generators agree bit for bit.
/// </summary>
[TestClass]
public sealed class SyntheticGoldenTests
{
    private static TempDirectory s_temp = null!;
    private static readonly Dictionary<string, Task<(string Folder, JsonElement Checkpoint, ulong Seed)>> s_written = [];

    /// <summary>Both golden fixtures: qwen2-tiny (seed 22) and qwen3-tiny (seed 21, q/k norms, no biases, head_dim 32).</summary>
    public static IEnumerable<object[]> Fixtures => [["qwen2-tiny"], ["qwen3-tiny"]];

    [ClassInitialize]
    public static void CreateTemp(TestContext context) => s_temp = new TempDirectory("synthetic-golden");

    [ClassCleanup]
    public static void DeleteCheckpoint() => s_temp?.Dispose();

    /// <summary>Writes the fixture's checkpoint once (from its config, generation config and golden seed).</summary>
    private static Task<(string Folder, JsonElement Checkpoint, ulong Seed)> Written(string fixture)
    {
        lock (s_written)
        {
            if (!s_written.TryGetValue(fixture, out var task))
                s_written[fixture] = task = Write(fixture);
            return task;
        }

        static async Task<(string, JsonElement, ulong)> Write(string fixture)
        {
            using var golden = JsonDocument.Parse(File.ReadAllBytes(TestData.Path(fixture, "golden.json")));
            ulong seed = golden.RootElement.GetProperty("seed").GetUInt64();
            string folder = s_temp.Combine(fixture);
            await SyntheticCheckpointWriter.WriteAsync(TestData.Path(fixture, "config.json"), seed, folder,
                new SyntheticCheckpointOptions { GenerationConfigPath = TestData.Path(fixture, "generation_config.json") });
            return (folder, golden.RootElement.GetProperty("checkpoint").Clone(), seed);
        }
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public async Task EveryTensor_MatchesGoldenShapeAndHash(string fixture)
    {
        var (folder, goldenCheckpoint, _) = await Written(fixture);
        var tensors = goldenCheckpoint.GetProperty("tensors");
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        CollectionAssert.AreEquivalent(
            tensors.EnumerateObject().Select(p => p.Name).ToArray(), checkpoint.Tensors.Keys.ToArray());
        foreach (var golden in tensors.EnumerateObject())
        {
            var info = checkpoint.Get(golden.Name);
            Assert.AreEqual(golden.Value.GetProperty("dtype").GetString(), info.DType.ToHeaderName(), golden.Name);
            CollectionAssert.AreEqual(
                golden.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(), info.Shape, golden.Name);
            Assert.AreEqual(
                golden.Value.GetProperty("data_sha256").GetString(),
                Convert.ToHexStringLower(SHA256.HashData(checkpoint.GetBytes(golden.Name))),
                golden.Name);
        }
    }

    public static IEnumerable<object[]> FixtureFiles =>
        from fixture in new[] { "qwen2-tiny", "qwen3-tiny" }
        from file in new[] { "model.safetensors", "config.json", "generation_config.json" }
        select new object[] { fixture, file };

    [TestMethod]
    [DynamicData(nameof(FixtureFiles))]
    public async Task WholeFile_MatchesGoldenSizeAndHash(string fixture, string fileName)
    {
        var (folder, goldenCheckpoint, _) = await Written(fixture);
        // Byte-identical to the reference file, header and padding included — not just the tensor data.
        var golden = goldenCheckpoint.GetProperty("files").GetProperty(fileName);
        string path = Path.Combine(folder, fileName);
        Assert.AreEqual(golden.GetProperty("bytes").GetInt64(), new FileInfo(path).Length);
        using var stream = File.OpenRead(path);
        Assert.AreEqual(golden.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public async Task Folder_HasNoIndexAndNoLmHeadForTiedEmbeddings(string fixture)
    {
        var (folder, _, _) = await Written(fixture);
        CollectionAssert.AreEquivalent(
            new[] { "config.json", "generation_config.json", "model.safetensors" },
            Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        Assert.IsFalse(checkpoint.Contains("lm_head.weight"));
        Assert.AreEqual("pt", checkpoint.Metadata["format"]);
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public async Task ValueHelper_AgreesWithFileAndGoldenFirstValues(string fixture)
    {
        var (folder, goldenCheckpoint, seed) = await Written(fixture);
        var config = Qwen2Config.Load(TestData.Path(fixture, "config.json"));
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        foreach (var golden in goldenCheckpoint.GetProperty("tensors").EnumerateObject())
        {
            var info = checkpoint.Get(golden.Name);
            var values = new float[info.ElementCount];
            checkpoint.ReadAsFloat32(golden.Name, values);
            float[] first4 = golden.Value.GetProperty("first4").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            for (int i = 0; i < first4.Length; i++)
            {
                Assert.AreEqual(first4[i], values[i], $"{golden.Name}[{i}] file vs golden");
                Assert.AreEqual(first4[i], SyntheticWeights.GetValue(config, golden.Name, i, seed), $"{golden.Name}[{i}] helper");
            }
            long last = info.ElementCount - 1;
            Assert.AreEqual(values[last], SyntheticWeights.GetValue(config, golden.Name, last, seed), $"{golden.Name}[last]");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Fixtures))]
    public async Task Sums_MatchGolden(string fixture)
    {
        var (folder, goldenCheckpoint, _) = await Written(fixture);
        // An independent check of the decoded values (not just the bytes): golden sums were computed in float64.
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        foreach (var golden in goldenCheckpoint.GetProperty("tensors").EnumerateObject())
        {
            var values = new float[checkpoint.Get(golden.Name).ElementCount];
            checkpoint.ReadAsFloat32(golden.Name, values);
            double sum = values.Sum(v => (double)v);
            double expected = golden.Value.GetProperty("sum").GetDouble();
            Assert.AreEqual(expected, sum, 1e-9 * Math.Max(1, golden.Value.GetProperty("sum_abs").GetDouble()), golden.Name);
        }
    }
}
