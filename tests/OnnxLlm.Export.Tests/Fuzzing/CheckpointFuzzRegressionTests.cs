using System.Text;
using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Fuzzing;

/// <summary>Inputs the checkpoint fuzzers found that broke a reader, kept as named regression tests.</summary>
[TestClass]
public sealed class CheckpointFuzzRegressionTests
{
    private TempDirectory _temp = null!;

    [TestInitialize]
    public void CreateFolder() => _temp = new TempDirectory("fuzz-regressions");

    [TestCleanup]
    public void DeleteFolder() => _temp.Dispose();

    [TestMethod]
    public void ShardIndex_WithAnEncodedSurrogateInAShardName_IsAFormatErrorNamingTheIndex()
    {
        // Found by MutatedShardIndexes: ED A0 80 is a UTF-8-encoded surrogate, which JsonDocument accepts but cannot
        // turn into a .NET string; it escaped as InvalidOperationException.
        string path = _temp.Combine(SafetensorsIndex.FileName);
        byte[] prefix = Encoding.UTF8.GetBytes("{\"weight_map\": {\"a\": \"model-");
        byte[] suffix = Encoding.UTF8.GetBytes("of-00002.safetensors\"}}");
        File.WriteAllBytes(path, [.. prefix, 0xED, 0xA0, 0x80, .. suffix]);
        var ex = Assert.ThrowsExactly<SafetensorsFormatException>(() => SafetensorsIndex.Load(path));
        StringAssert.Contains(ex.Message, path);
    }
}
