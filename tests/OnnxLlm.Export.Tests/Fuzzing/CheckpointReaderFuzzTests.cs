using System.Buffers.Binary;
using System.Text;
using CsCheck;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Safetensors;
using OnnxLlm.Export.Tests.TestSupport;
using OnnxLlm.Testing;
using OnnxLlm.Testing.Fuzzing;

namespace OnnxLlm.Export.Tests.Fuzzing;

/// <summary>
/// Fuzzes the exporter's readers of checkpoint files — safetensors headers, the shard index, config.json — with
/// <see cref="FuzzRunner"/>: each must open or refuse a hostile file with its documented exception naming the file.
/// </summary>
[TestClass]
public sealed class CheckpointReaderFuzzTests
{
    private static readonly string[] DTypes = ["BF16", "F16", "F32", "F64", "I8", "bf16", "", "F32\u0000"];

    private static readonly long[] Extremes = [0, 1, 2, 3, 7, 8, 16, -1, int.MaxValue, (long)int.MaxValue + 1, long.MaxValue, long.MinValue, 1L << 40, 1L << 62];

    private TempDirectory _temp = null!;

    [TestInitialize]
    public void CreateFolder() => _temp = new TempDirectory("fuzz-checkpoint");

    [TestCleanup]
    public void DeleteFolder() => _temp.Dispose();

    /// <summary>A safetensors file whose header fields (dtype, shape, offsets, header length) lie in generated ways.</summary>
    private sealed record LyingFile(string Header, ulong? DeclaredHeaderLength, int DataBytes)
    {
        public override string ToString() => $"declared header length {DeclaredHeaderLength?.ToString() ?? "true"}, {DataBytes} data bytes, header {Header}";
    }

    private static readonly Gen<long> Dimension = Gen.Frequency((3, Gen.Long[0, 12]), (1, Gen.OneOf(Extremes)));

    private static readonly Gen<string> Entry = Gen.Select(Gen.OneOf(DTypes), Dimension.Array[0, 4], Dimension, Dimension, Gen.Int[0, 5],
        (dtype, shape, begin, end, name) => $"\"t{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}");

    private static readonly Gen<LyingFile> LyingFiles = Gen.Select(
        Entry.Array[0, 5],
        Gen.Frequency((3, Gen.Const((ulong?)null)), (1, Gen.ULong.Select(u => (ulong?)u)), (1, Gen.Int[0, 300].Select(i => (ulong?)(ulong)i))),
        Gen.Int[0, 256],
        (entries, declared, data) => new LyingFile("{" + string.Join(",", entries) + "}", declared, data));

    [TestMethod]
    public void SafetensorsHeadersThatLie_AreRefusedBeforeAnyAllocation()
    {
        string path = _temp.Combine("model.safetensors");
        FuzzRunner.Check(LyingFiles, file =>
        {
            RawSafetensors.Write(path, file.Header, new byte[file.DataBytes], file.DeclaredHeaderLength);
            ReadEveryTensor(path);
        }, IsSafetensorsError, path, file => 1_000_000 + 64L * (file.Header.Length + file.DataBytes), file => file.ToString());
    }

    [TestMethod]
    public async Task MutatedSafetensorsFiles_OpenOrFailNamingTheFile()
    {
        string valid = _temp.Combine("valid.safetensors");
        await SafetensorsWriter.WriteAsync(valid,
        [
            SafetensorsTensorSource.FromBytes("model.embed_tokens.weight", SafetensorsDType.BF16, [4, 3], new byte[24]),
            SafetensorsTensorSource.FromBytes("model.norm.weight", SafetensorsDType.F32, [3], new byte[12]),
            SafetensorsTensorSource.FromBytes("empty", SafetensorsDType.F16, [0, 5], Array.Empty<byte>()),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        byte[] seed = await File.ReadAllBytesAsync(valid);
        string path = _temp.Combine("model.safetensors");
        FuzzRunner.Check(HostileGen.Of(seed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            ReadEveryTensor(path);
        }, IsSafetensorsError, path, bytes => 1_000_000 + 64L * bytes.Length, HostileGen.Describe);
    }

    [TestMethod]
    public async Task MutatedShardIndexes_OpenOrFailNamingTheFile()
    {
        string folder = _temp.Combine("sharded");
        Directory.CreateDirectory(folder);
        await SafetensorsWriter.WriteAsync(Path.Combine(folder, "model-00001-of-00002.safetensors"),
            [SafetensorsTensorSource.FromBytes("a", SafetensorsDType.F32, [2], new byte[8])]);
        await SafetensorsWriter.WriteAsync(Path.Combine(folder, "model-00002-of-00002.safetensors"),
            [SafetensorsTensorSource.FromBytes("b", SafetensorsDType.BF16, [2, 2], new byte[8])]);
        byte[] seed = Encoding.UTF8.GetBytes("""
            {"metadata": {"total_size": 16}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
            """);
        string index = Path.Combine(folder, SafetensorsIndex.FileName);
        FuzzRunner.Check(HostileGen.Of(seed), bytes =>
        {
            File.WriteAllBytes(index, bytes);
            using var checkpoint = SafetensorsCheckpoint.Open(folder);
            foreach (var info in checkpoint.Tensors.Values)
            {
                var values = new float[info.ElementCount];
                checkpoint.ReadAsFloat32(info.Name, values);
            }
        }, IsSafetensorsError, folder, bytes => 1_000_000 + 64L * bytes.Length, HostileGen.Describe);
    }

    [TestMethod]
    public void MutatedConfigs_LoadOrFailNamingTheFile()
    {
        byte[] seed = File.ReadAllBytes(TestModels.TinyConfig);
        string path = _temp.Combine("config.json");
        FuzzRunner.Check(HostileGen.Of(seed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            Qwen2Config.Load(path);
        }, ex => ex is InvalidDataException, path, bytes => 1_000_000 + 64L * bytes.Length, HostileGen.Describe);
    }

    private static bool IsSafetensorsError(Exception ex) => ex is SafetensorsFormatException;

    /// <summary>Opens the file and decodes every tensor into a float array of its declared element count.</summary>
    private static void ReadEveryTensor(string path)
    {
        using var file = SafetensorsFile.Open(path);
        foreach (var info in file.Tensors.Values)
        {
            // Allocating by the header's element count is exactly what a lying header must not be able to cause.
            var values = new float[info.ElementCount];
            file.ReadAsFloat32(info.Name, values);
        }
    }
}
