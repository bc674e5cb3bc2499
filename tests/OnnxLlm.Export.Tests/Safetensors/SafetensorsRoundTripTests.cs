using System.Buffers.Binary;
using System.Runtime.InteropServices;
using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Safetensors;

[TestClass]
public sealed class SafetensorsRoundTripTests
{
    private static readonly float[] Values =
        [0f, -0f, 1f, -1.5f, 0.333333343f, 65504f, -2.75e-3f, 1e-5f, 3.14159274f, -123.25f, float.PositiveInfinity];

    [TestMethod]
    [DataRow("BF16")]
    [DataRow("F16")]
    [DataRow("F32")]
    public async Task WriterThenReader_GivesExactValues(string dtypeName)
    {
        // SafetensorsDType is internal; public test methods take its name.
        var dtype = Enum.Parse<SafetensorsDType>(dtypeName);
        using var temp = new TempDirectory("st-roundtrip");
        // Values representable in the dtype, so reading back must reproduce them exactly.
        float[] expected = Values.Select(v => Representable(v, dtype)).ToArray();
        string path = temp.Combine("model.safetensors");
        await SafetensorsWriter.WriteAsync(path,
        [
            SafetensorsTensorSource.FromBytes("a.weight", dtype, [expected.Length], Encode(expected, dtype)),
            SafetensorsTensorSource.FromBytes("b.weight", dtype, [2, 3], Encode([1, 2, 3, 4, 5, 6], dtype)),
            SafetensorsTensorSource.FromBytes("empty", dtype, [0, 4], Array.Empty<byte>()),
        ], new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafetensorsFile.Open(path);
        Assert.AreEqual("pt", file.Metadata["format"]);
        Assert.AreEqual(3, file.Tensors.Count);
        var info = file.Tensors["a.weight"];
        Assert.AreEqual(dtype, info.DType);
        CollectionAssert.AreEqual(new long[] { expected.Length }, info.Shape);
        Assert.AreEqual(expected.Length, info.ElementCount);

        var actual = new float[expected.Length];
        file.ReadAsFloat32("a.weight", actual);
        CollectionAssert.AreEqual(expected, actual);

        var b = new float[6];
        file.ReadAsFloat32("b.weight", b);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, b);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, file.Tensors["b.weight"].Shape);
        Assert.AreEqual(0, file.GetBytes("empty").Length);
    }

    [TestMethod]
    public async Task Writer_PadsHeaderToEightBytes_AndLaysTensorsOutInOrder()
    {
        using var temp = new TempDirectory("st-layout");
        string path = temp.Combine("x.safetensors");
        await SafetensorsWriter.WriteAsync(path,
        [
            SafetensorsTensorSource.FromBytes("z", SafetensorsDType.F32, [1], new byte[4] { 1, 2, 3, 4 }),
            SafetensorsTensorSource.FromBytes("a", SafetensorsDType.BF16, [3], new byte[6] { 5, 6, 7, 8, 9, 10 }),
        ]);
        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0UL, headerLength % 8);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        // Compact JSON as the reference writer emits it, then only space padding.
        Assert.AreEqual(
            "{\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[4,10]}}",
            header.TrimEnd(' '));
        Assert.IsLessThan(8, header.Length - header.TrimEnd(' ').Length);
        CollectionAssert.AreEqual(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, bytes[(8 + (int)headerLength)..]);
        Assert.AreEqual(0, Directory.GetFiles(temp.Path).Count(f => f.EndsWith(".tmp")), "temp file left behind");
    }

    [TestMethod]
    public async Task Writer_RejectsCallbackWritingTheWrongByteCount_AndLeavesNoFile()
    {
        using var temp = new TempDirectory("st-badcallback");
        string path = temp.Combine("x.safetensors");
        var tooShort = new SafetensorsTensorSource("t", SafetensorsDType.F32, [2], (s, ct) => s.WriteAsync(new byte[4], ct));
        var ex = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => SafetensorsWriter.WriteAsync(path, [tooShort]));
        Assert.Contains("'t'", ex.Message);
        var tooLong = new SafetensorsTensorSource("u", SafetensorsDType.F32, [1], (s, ct) => s.WriteAsync(new byte[8], ct));
        await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => SafetensorsWriter.WriteAsync(path, [tooLong]));
        Assert.IsEmpty(Directory.GetFileSystemEntries(temp.Path));
    }

    [TestMethod]
    public void Writer_RejectsDuplicateNames()
    {
        var a = SafetensorsTensorSource.FromBytes("t", SafetensorsDType.F32, [1], new byte[4]);
        Assert.ThrowsExactly<ArgumentException>(() => SafetensorsWriter.CreateHeader([a, a]));
    }

    [TestMethod]
    public async Task Checkpoint_GetOfUnknownTensor_NamesTensorAndFolder()
    {
        using var temp = new TempDirectory("st-missing");
        await SafetensorsWriter.WriteAsync(temp.Combine("model.safetensors"),
            [SafetensorsTensorSource.FromBytes("t", SafetensorsDType.F32, [1], new byte[4])]);
        using var checkpoint = SafetensorsCheckpoint.Open(temp.Path);
        Assert.IsTrue(checkpoint.Contains("t"));
        Assert.IsFalse(checkpoint.Contains("nope"));
        var ex = Assert.ThrowsExactly<KeyNotFoundException>(() => checkpoint.Get("nope"));
        Assert.Contains("'nope'", ex.Message);
        Assert.Contains(temp.Path, ex.Message);
        Assert.ThrowsExactly<ArgumentException>(() => checkpoint.ReadAsFloat32("t", new float[2]));
    }

    [TestMethod]
    public async Task Checkpoint_AfterDispose_RefusesReads()
    {
        using var temp = new TempDirectory("st-disposed");
        await SafetensorsWriter.WriteAsync(temp.Combine("model.safetensors"),
            [SafetensorsTensorSource.FromBytes("t", SafetensorsDType.F32, [1], new byte[4])]);
        var checkpoint = SafetensorsCheckpoint.Open(temp.Path);
        checkpoint.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => checkpoint.GetBytes("t").Length);
    }

    [TestMethod]
    public void TensorAboveTwoGigabytes_GetBytesFailsClearly()
    {
        using var temp = new TempDirectory("st-huge");
        // A sparse 2 GiB + 2-byte data section: costs no disk, but the tensor is too big for a span.
        long bytes = (long)int.MaxValue + 3;
        string header = RawSafetensors.Header(RawSafetensors.Entry("huge", "BF16", [bytes / 2], 0, bytes));
        string path = RawSafetensors.Write(temp.Combine("huge.safetensors"), header);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length + bytes);

        using var file = SafetensorsFile.Open(path);
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => file.GetBytes("huge").Length);
        Assert.Contains("'huge'", ex.Message);
        Assert.Contains("huge.safetensors", ex.Message);
    }

    private static float Representable(float value, SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.BF16 => BFloat16Conversions.ToFloat32(BFloat16Conversions.FromFloat32(value)),
        SafetensorsDType.F16 => (float)(Half)value,
        _ => value,
    };

    private static byte[] Encode(float[] values, SafetensorsDType dtype)
    {
        var bytes = new byte[values.Length * dtype.ElementSize()];
        for (int i = 0; i < values.Length; i++)
        {
            switch (dtype)
            {
                case SafetensorsDType.BF16:
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), BFloat16Conversions.FromFloat32(values[i]));
                    break;
                case SafetensorsDType.F16:
                    BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)values[i]);
                    break;
                default:
                    BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
                    break;
            }
        }
        return bytes;
    }
}
