using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OnnxLlm.Export.Precision;
using OnnxLlm.Runtime;
using OnnxLlm.Testing;
using OnnxLlm.Tests.Chat;

namespace OnnxLlm.Tests.Runtime;

/// <summary>
/// An fp16 folder loaded on an x86 CPU logs, once, that ONNX Runtime widens its weights to fp32 (with the folder's
/// numbers) and that int8 / int4 is the fast, small choice; fp32 and int4 folders, and arm64, log nothing of the kind.
/// The architecture is injected through <see cref="OnnxLlmOptions.ProcessArchitecture"/> so every case runs on any machine.
/// </summary>
[TestClass]
public sealed class Fp16CpuNoticeTests
{
    [TestMethod]
    [DataRow(ExportPrecision.Fp16, Architecture.X64, 1)]
    [DataRow(ExportPrecision.Fp16, Architecture.X86, 1)]
    [DataRow(ExportPrecision.Fp16, Architecture.Arm64, 0)]
    [DataRow(ExportPrecision.Fp32, Architecture.X64, 0)]
    [DataRow(ExportPrecision.Int4, Architecture.X64, 0)]
    public async Task Load_LogsTheFp16NoticeOnce_OnlyForFp16OnX86(ExportPrecision precision, Architecture architecture, int expected)
    {
        string folder = await TestModels.TinyAsync(precision);
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));

        using (OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = 1, ProcessArchitecture = architecture }, factory)) { }

        var notices = logs.Entries.Where(e => e.Message.Contains("widen fp16 weights to fp32", StringComparison.Ordinal)).ToList();
        Assert.HasCount(expected, notices, string.Join(Environment.NewLine, logs.Entries.Select(e => e.Message)));
        if (expected == 0) return;
        var notice = notices[0];
        Assert.AreEqual(LogLevel.Warning, notice.Level);
        long bytes = Fp16CpuNotice.WeightBytes(folder);
        Assert.IsGreaterThan(0L, bytes);
        // The numbers are the folder's: its fp16 weight megabytes and about twice that resident.
        StringAssert.Contains(notice.Message, (bytes / 1e6).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " MB of fp16 weights");
        StringAssert.Contains(notice.Message, (2 * bytes / 1e6).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " MB of memory");
        StringAssert.Contains(notice.Message, "int4");
        StringAssert.Contains(notice.Message, folder);
    }

    [TestMethod]
    public void Applies_OnlyToX86OnTheCpuProvider()
    {
        Assert.IsTrue(Fp16CpuNotice.Applies(Architecture.X64, runsOnCpuProvider: true));
        Assert.IsTrue(Fp16CpuNotice.Applies(Architecture.X86, runsOnCpuProvider: true));
        Assert.IsFalse(Fp16CpuNotice.Applies(Architecture.Arm64, runsOnCpuProvider: true));
        Assert.IsFalse(Fp16CpuNotice.Applies(Architecture.X64, runsOnCpuProvider: false));
    }
}
