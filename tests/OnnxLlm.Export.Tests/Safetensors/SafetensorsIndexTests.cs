using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Safetensors;

/// <summary>Sharded checkpoints whose index and shards disagree, built by hand.</summary>
[TestClass]
public sealed class SafetensorsIndexTests
{
    private TempDirectory _temp = null!;

    [TestInitialize]
    public async Task CreateShards()
    {
        _temp = new TempDirectory("st-index");
        await WriteShard("model-00001-of-00002.safetensors", "a", "b");
        await WriteShard("model-00002-of-00002.safetensors", "c");
    }

    [TestCleanup]
    public void DeleteFolder() => _temp.Dispose();

    [TestMethod]
    public void ConsistentIndex_Opens()
    {
        // The control: the same shards with a truthful index.
        WriteIndex("""{"metadata":{"total_size":12},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}""");
        using var checkpoint = SafetensorsCheckpoint.Open(_temp.Path);
        CollectionAssert.AreEquivalent(new[] { "a", "b", "c" }, checkpoint.Tensors.Keys.ToArray());
        Assert.AreEqual("12", checkpoint.Metadata["total_size"]);
        Assert.AreEqual(2, checkpoint.FilePaths.Count);
        var c = new float[1];
        checkpoint.ReadAsFloat32("c", c);
        Assert.AreEqual(3f, c[0]);
    }

    [TestMethod]
    public void IndexPointsAtMissingShard()
    {
        WriteIndex("""{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00003-of-00003.safetensors"}}""");
        var ex = ExpectIndexError("c");
        Assert.Contains("model-00003-of-00003.safetensors", ex.Message);
    }

    [TestMethod]
    public void IndexNamesTensorAbsentFromShard()
    {
        WriteIndex("""{"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}""");
        var ex = ExpectIndexError("c");
        Assert.Contains("model-00001-of-00002.safetensors", ex.Message);
    }

    [TestMethod]
    public async Task TensorInTwoShards()
    {
        await WriteShard("model-00002-of-00002.safetensors", "c", "a");
        WriteIndex("""{"weight_map":{"a":"model-00001-of-00002.safetensors","c":"model-00002-of-00002.safetensors"}}""");
        var ex = Assert.ThrowsExactly<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_temp.Path).Dispose());
        Assert.AreEqual("a", ex.TensorName);
        Assert.Contains("model-00001-of-00002.safetensors", ex.Message);
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [TestMethod]
    [DataRow("""{"weight_map":""", DisplayName = "invalid JSON")]
    [DataRow("""{"metadata":{}}""", DisplayName = "no weight_map")]
    [DataRow("""{"weight_map":[]}""", DisplayName = "weight_map not an object")]
    [DataRow("""[]""", DisplayName = "not an object")]
    public void MalformedIndex(string json)
    {
        WriteIndex(json);
        ExpectIndexError(null);
    }

    [TestMethod]
    public void DuplicateTensorInWeightMap()
    {
        WriteIndex("""{"weight_map":{"a":"model-00001-of-00002.safetensors","a":"model-00002-of-00002.safetensors"}}""");
        ExpectIndexError("a");
    }

    [TestMethod]
    [DataRow("../model-00001-of-00002.safetensors")]
    [DataRow("/etc/passwd")]
    public void ShardOutsideFolder_IsRejected(string shard)
    {
        WriteIndex($$$"""{"weight_map":{"a":"{{{shard}}}"}}""");
        ExpectIndexError("a");
    }

    [TestMethod]
    public void FolderWithoutWeights_IsFileNotFound()
    {
        using var empty = new TempDirectory("st-empty");
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => SafetensorsCheckpoint.Open(empty.Path));
        Assert.Contains(empty.Path, ex.Message);
    }

    private SafetensorsFormatException ExpectIndexError(string? tensor)
    {
        var ex = Assert.ThrowsExactly<SafetensorsFormatException>(() => SafetensorsCheckpoint.Open(_temp.Path).Dispose());
        Assert.AreEqual(_temp.Combine(SafetensorsIndex.FileName), ex.FilePath);
        Assert.Contains(SafetensorsIndex.FileName, ex.Message);
        Assert.AreEqual(tensor, ex.TensorName);
        if (tensor is not null) Assert.Contains($"'{tensor}'", ex.Message);
        return ex;
    }

    private void WriteIndex(string json) => File.WriteAllText(_temp.Combine(SafetensorsIndex.FileName), json);

    // Tensor "a" holds 1.0, "b" 2.0, "c" 3.0 (one F32 each).
    private Task WriteShard(string fileName, params string[] names) =>
        SafetensorsWriter.WriteAsync(_temp.Combine(fileName),
            names.Select(n => SafetensorsTensorSource.FromBytes(
                n, SafetensorsDType.F32, [1], BitConverter.GetBytes((float)(n[0] - 'a' + 1)))).ToList());
}
