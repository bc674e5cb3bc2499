using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Tests.TestSupport;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>Bad input and interruptions: clear errors, and never a half-written folder at the target.</summary>
[TestClass]
public sealed class ExportFailureTests
{
    private static string NewTarget() => Path.Combine(TestModels.Root, "target-" + Guid.NewGuid().ToString("N"));

    private static void AssertNothingLeftBeside(string target)
    {
        Assert.IsFalse(Directory.Exists(target), $"{target} must not exist");
        var parent = Path.GetDirectoryName(target)!;
        var leftovers = Directory.Exists(parent)
            ? Directory.GetDirectories(parent, "." + Path.GetFileName(target) + "*")
            : [];
        Assert.IsEmpty(leftovers, $"staging folders left behind: {string.Join(", ", leftovers)}");
    }

    [TestMethod]
    public async Task CancelledExport_LeavesNoFolderAtTheTarget()
    {
        string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string target = NewTarget();
        using var cts = new CancellationTokenSource();
        // Cancel as soon as the first layer is written: the export is then mid-way through model.onnx.data.
        var progress = new SynchronousProgress<ExportProgress>(p => { if (p.Stage == "layers" && p.Completed == 1) cts.Cancel(); });
        await Assert.ThrowsAsync<OperationCanceledException>(() => Qwen2Exporter.ExportAsync(
            new ExportOptions { InputDirectory = checkpoint, OutputDirectory = target }, progress, cts.Token));
        AssertNothingLeftBeside(target);
    }

    [TestMethod]
    public async Task ExistingTarget_IsRefusedWithoutOverwrite_AndReplacedWithIt()
    {
        string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string target = NewTarget();
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "user data");
        var ex = await Assert.ThrowsExactlyAsync<IOException>(() => Qwen2Exporter.ExportAsync(
            new ExportOptions { InputDirectory = checkpoint, OutputDirectory = target, MaxLength = 64 }));
        StringAssert.Contains(ex.Message, target);
        Assert.IsTrue(File.Exists(Path.Combine(target, "keep.txt")), "a refused export must not touch the existing folder");

        var report = await Qwen2Exporter.ExportAsync(new ExportOptions { InputDirectory = checkpoint, OutputDirectory = target, Overwrite = true, MaxLength = 64 });
        Assert.IsFalse(File.Exists(Path.Combine(target, "keep.txt")));
        Assert.IsTrue(File.Exists(Path.Combine(target, "model.onnx")));
        Assert.AreEqual(new FileInfo(Path.Combine(target, "model.onnx.data")).Length, report.Files["model.onnx.data"]);
    }

    [TestMethod]
    public async Task MissingConfig_NamesTheFile()
    {
        string empty = Directory.CreateDirectory(Path.Combine(TestModels.Root, "empty-" + Guid.NewGuid().ToString("N"))).FullName;
        string target = NewTarget();
        var ex = await Assert.ThrowsExactlyAsync<FileNotFoundException>(() => Qwen2Exporter.ExportAsync(
            new ExportOptions { InputDirectory = empty, OutputDirectory = target }));
        StringAssert.Contains(ex.Message, Path.Combine(empty, "config.json"));
        AssertNothingLeftBeside(target);
    }

    [TestMethod]
    public async Task TruncatedSafetensors_FailsNamingTheFile_AndLeavesNothing()
    {
        string good = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string bad = TestModels.CopyFolder(good, "truncated");
        string weights = Path.Combine(bad, "model.safetensors");
        using (var stream = new FileStream(weights, FileMode.Open)) stream.SetLength(stream.Length / 2);

        string target = NewTarget();
        var ex = await Assert.ThrowsExactlyAsync<OnnxLlm.Export.Safetensors.SafetensorsFormatException>(() => Qwen2Exporter.ExportAsync(
            new ExportOptions { InputDirectory = bad, OutputDirectory = target }));
        StringAssert.Contains(ex.Message, "model.safetensors");
        AssertNothingLeftBeside(target);
    }

    [TestMethod]
    public async Task CheckpointMissingATensor_NamesTheTensor()
    {
        // An untied config whose checkpoint lacks lm_head: take a tied checkpoint and claim it is untied.
        string good = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string bad = TestModels.CopyFolder(good, "untied");
        string config = Path.Combine(bad, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false"));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => Qwen2Exporter.ExportAsync(
            new ExportOptions { InputDirectory = bad, OutputDirectory = NewTarget(), Precision = ExportPrecision.Fp32 }));
        StringAssert.Contains(ex.Message, "lm_head.weight");
    }
}
