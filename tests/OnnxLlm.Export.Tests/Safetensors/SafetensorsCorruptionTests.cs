using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Tests.TestSupport;
using static OnnxLlm.Export.Tests.TestSupport.RawSafetensors;

namespace OnnxLlm.Export.Tests.Safetensors;

/// <summary>Each test feeds the reader a file that lies in one way and checks the error names the file and tensor.</summary>
[TestClass]
public sealed class SafetensorsCorruptionTests
{
    private TempDirectory _temp = null!;

    [TestInitialize]
    public void CreateFolder() => _temp = new TempDirectory("st-corrupt");

    [TestCleanup]
    public void DeleteFolder() => _temp.Dispose();

    [TestMethod]
    public void ValidHandMadeFile_Opens()
    {
        // The control for every test below: the same builder, without the lie, is accepted.
        string path = Write(_temp.Combine("ok.safetensors"),
            Header("\"__metadata__\":{\"format\":\"pt\"}", Entry("a", "F32", [2], 0, 8), Entry("b", "BF16", [1, 2], 8, 12)) + "   ",
            new byte[12]);
        using var file = SafetensorsFile.Open(path);
        Assert.AreEqual(2, file.Tensors.Count);
        // Absolute offset: the data section starts 12 bytes before the end of the file, and "b" 8 bytes into it.
        Assert.AreEqual(new FileInfo(path).Length - 4, file.Tensors["b"].DataOffset);
    }

    [TestMethod]
    public async Task TruncatedData_NamesFileAndTensor()
    {
        string path = _temp.Combine("model.safetensors");
        await SafetensorsWriter.WriteAsync(path,
        [
            SafetensorsTensorSource.FromBytes("first", SafetensorsDType.F32, [4], new byte[16]),
            SafetensorsTensorSource.FromBytes("last", SafetensorsDType.F32, [4], new byte[16]),
        ]);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 3);
        var ex = ExpectFormatError(path, "last");
        Assert.Contains("end of the data section", ex.Message);
    }

    [TestMethod]
    public void FileShorterThanEightBytes()
    {
        string path = _temp.Combine("tiny.safetensors");
        File.WriteAllBytes(path, [1, 0, 0]);
        var ex = ExpectFormatError(path, null);
        Assert.Contains("3 bytes", ex.Message);
    }

    [TestMethod]
    public void HeaderLengthBeyondFileSize()
    {
        string path = Write(_temp.Combine("long-header.safetensors"), "{}", declaredHeaderLength: 5000);
        var ex = ExpectFormatError(path, null);
        Assert.Contains("5000", ex.Message);
    }

    [TestMethod]
    public void HeaderLengthAboveCap()
    {
        string path = Write(_temp.Combine("huge-header.safetensors"), "{}", declaredHeaderLength: 100_000_001);
        var ex = ExpectFormatError(path, null);
        Assert.Contains("limit", ex.Message);
    }

    [TestMethod]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", DisplayName = "unterminated")]
    [DataRow("[1,2]", DisplayName = "array instead of object")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", DisplayName = "trailing garbage")]
    [DataRow("\u00ff\u00fe", DisplayName = "not JSON at all")]
    public void InvalidJson(string header)
    {
        string path = Write(_temp.Combine("bad-json.safetensors"), header, new byte[4]);
        var ex = ExpectFormatError(path, null);
        Assert.Contains("JSON", ex.Message);
    }

    [TestMethod]
    [DataRow("{\"a\":5}", DisplayName = "entry not an object")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", DisplayName = "no data_offsets")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", DisplayName = "fractional dim")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", DisplayName = "negative dim")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", DisplayName = "three offsets")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", DisplayName = "begin after end")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", DisplayName = "dtype twice")]
    [DataRow("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,4]}}", DisplayName = "shape overflows")]
    public void MalformedEntry_NamesTensor(string header)
    {
        string path = Write(_temp.Combine("bad-entry.safetensors"), header, new byte[8]);
        ExpectFormatError(path, "a");
    }

    [TestMethod]
    public void OffsetsOutOfRange()
    {
        string path = Write(_temp.Combine("range.safetensors"),
            Header(Entry("ok", "F32", [1], 0, 4), Entry("far", "F32", [2], 100, 108)), new byte[12]);
        var ex = ExpectFormatError(path, "far");
        Assert.Contains("[100, 108]", ex.Message);
    }

    [TestMethod]
    public void ByteLengthDoesNotMatchShapeTimesElementSize()
    {
        // 3 BF16 elements need 6 bytes, not 12 (as if the writer had used F32's size).
        string path = Write(_temp.Combine("size.safetensors"), Header(Entry("w", "BF16", [3], 0, 12)), new byte[12]);
        var ex = ExpectFormatError(path, "w");
        Assert.Contains("needs 6", ex.Message);
    }

    [TestMethod]
    public void OverlappingOffsets()
    {
        string path = Write(_temp.Combine("overlap.safetensors"),
            Header(Entry("a", "F32", [2], 0, 8), Entry("b", "F32", [2], 4, 12)), new byte[12]);
        var ex = ExpectFormatError(path, "b");
        Assert.Contains("'a'", ex.Message);
    }

    [TestMethod]
    public void DuplicateNames()
    {
        string path = Write(_temp.Combine("dup.safetensors"),
            Header(Entry("same", "F32", [1], 0, 4), Entry("same", "F32", [1], 4, 8)), new byte[8]);
        var ex = ExpectFormatError(path, "same");
        Assert.Contains("twice", ex.Message);
    }

    [TestMethod]
    public void DuplicateMetadata()
    {
        string path = Write(_temp.Combine("dup-meta.safetensors"),
            Header("\"__metadata__\":{}", "\"__metadata__\":{}"), []);
        ExpectFormatError(path, null);
    }

    [TestMethod]
    [DataRow("I64")]
    [DataRow("F64")]
    [DataRow("bf16")]
    public void UnknownDtype(string dtype)
    {
        string path = Write(_temp.Combine("dtype.safetensors"), Header(Entry("w", dtype, [1], 0, 8)), new byte[8]);
        var ex = ExpectFormatError(path, "w");
        Assert.Contains($"'{dtype}'", ex.Message);
    }

    private static SafetensorsFormatException ExpectFormatError(string path, string? tensor)
    {
        var ex = Assert.ThrowsExactly<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.AreEqual(Path.GetFullPath(path), ex.FilePath);
        Assert.Contains(Path.GetFileName(path), ex.Message);
        Assert.AreEqual(tensor, ex.TensorName);
        if (tensor is not null) Assert.Contains($"'{tensor}'", ex.Message);
        return ex;
    }
}
