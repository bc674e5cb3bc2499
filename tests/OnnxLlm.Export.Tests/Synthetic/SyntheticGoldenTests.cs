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
    private const ulong Seed = 22;
    private static TempDirectory s_temp = null!;
    private static string s_folder = null!;
    private static JsonElement s_checkpoint;

    [ClassInitialize]
    public static async Task WriteTinyCheckpoint(TestContext context)
    {
        s_temp = new TempDirectory("synthetic-golden");
        s_folder = s_temp.Combine("qwen2-tiny");
        await SyntheticCheckpointWriter.WriteAsync(TestData.TinyConfig, Seed, s_folder,
            new SyntheticCheckpointOptions { GenerationConfigPath = TestData.TinyGenerationConfig });
        using var golden = JsonDocument.Parse(File.ReadAllBytes(TestData.TinyGolden));
        s_checkpoint = golden.RootElement.GetProperty("checkpoint").Clone();
        Assert.AreEqual((long)Seed, golden.RootElement.GetProperty("seed").GetInt64(), "golden.json is for another seed");
    }

    [ClassCleanup]
    public static void DeleteCheckpoint() => s_temp?.Dispose();

    [TestMethod]
    public void EveryTensor_MatchesGoldenShapeAndHash()
    {
        var tensors = s_checkpoint.GetProperty("tensors");
        using var checkpoint = SafetensorsCheckpoint.Open(s_folder);
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

    [TestMethod]
    [DataRow("model.safetensors")]
    [DataRow("config.json")]
    [DataRow("generation_config.json")]
    public void WholeFile_MatchesGoldenSizeAndHash(string fileName)
    {
        // Byte-identical to the reference file, header and padding included — not just the tensor data.
        var golden = s_checkpoint.GetProperty("files").GetProperty(fileName);
        string path = Path.Combine(s_folder, fileName);
        Assert.AreEqual(golden.GetProperty("bytes").GetInt64(), new FileInfo(path).Length);
        using var stream = File.OpenRead(path);
        Assert.AreEqual(golden.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(stream)));
    }

    [TestMethod]
    public void Folder_HasNoIndexAndNoLmHeadForTiedEmbeddings()
    {
        CollectionAssert.AreEquivalent(
            new[] { "config.json", "generation_config.json", "model.safetensors" },
            Directory.GetFiles(s_folder).Select(Path.GetFileName).ToArray());
        using var checkpoint = SafetensorsCheckpoint.Open(s_folder);
        Assert.IsFalse(checkpoint.Contains("lm_head.weight"));
        Assert.AreEqual("pt", checkpoint.Metadata["format"]);
    }

    [TestMethod]
    public void ValueHelper_AgreesWithFileAndGoldenFirstValues()
    {
        var config = Qwen2Config.Load(TestData.TinyConfig);
        using var checkpoint = SafetensorsCheckpoint.Open(s_folder);
        foreach (var golden in s_checkpoint.GetProperty("tensors").EnumerateObject())
        {
            var info = checkpoint.Get(golden.Name);
            var values = new float[info.ElementCount];
            checkpoint.ReadAsFloat32(golden.Name, values);
            float[] first4 = golden.Value.GetProperty("first4").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
            for (int i = 0; i < first4.Length; i++)
            {
                Assert.AreEqual(first4[i], values[i], $"{golden.Name}[{i}] file vs golden");
                Assert.AreEqual(first4[i], SyntheticWeights.GetValue(config, golden.Name, i, Seed), $"{golden.Name}[{i}] helper");
            }
            long last = info.ElementCount - 1;
            Assert.AreEqual(values[last], SyntheticWeights.GetValue(config, golden.Name, last, Seed), $"{golden.Name}[last]");
        }
    }

    [TestMethod]
    public void Sums_MatchGolden()
    {
        // An independent check of the decoded values (not just the bytes): golden sums were computed in float64.
        using var checkpoint = SafetensorsCheckpoint.Open(s_folder);
        foreach (var golden in s_checkpoint.GetProperty("tensors").EnumerateObject())
        {
            var values = new float[checkpoint.Get(golden.Name).ElementCount];
            checkpoint.ReadAsFloat32(golden.Name, values);
            double sum = values.Sum(v => (double)v);
            double expected = golden.Value.GetProperty("sum").GetDouble();
            Assert.AreEqual(expected, sum, 1e-9 * Math.Max(1, golden.Value.GetProperty("sum_abs").GetDouble()), golden.Name);
        }
    }
}
