using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Runtime;

namespace OnnxLlm.Tests.Runtime;

/// <summary>How the SDK sets up the CoreML execution provider, checked where it can be off a Mac.</summary>
[TestClass]
public sealed class CoreMLSessionOptionsTests
{
    [TestMethod]
    public void DefaultCompileCache_IsOneFolderPerModelFolder()
    {
        string a = Path.Combine(Path.GetTempPath(), "models", "a"), b = Path.Combine(Path.GetTempPath(), "models", "b");
        Assert.AreEqual(SessionOptionsFactory.DefaultCoreMLCache(a), SessionOptionsFactory.DefaultCoreMLCache(a + Path.DirectorySeparatorChar),
            "the same folder, however spelled, keeps its compiled model");
        Assert.AreNotEqual(SessionOptionsFactory.DefaultCoreMLCache(a), SessionOptionsFactory.DefaultCoreMLCache(b));
        StringAssert.Contains(SessionOptionsFactory.DefaultCoreMLCache(a), Path.Combine("onnxllm", "coreml-cache"));
    }

    [TestMethod]
    public void CoreMLOffMac_ThrowsNamingTheFix_UnlessFallbackIsAllowed()
    {
        if (OperatingSystem.IsMacOS()) Assert.Inconclusive("This checks the behaviour off macOS.");
        var options = new OnnxLlmOptions { ExecutionProvider = ExecutionProvider.CoreML };
        var ex = Assert.ThrowsExactly<PlatformNotSupportedException>(() => SessionOptionsFactory.Create(options, "m", NullLogger.Instance));
        StringAssert.Contains(ex.Message, "AllowExecutionProviderFallback");
        options.AllowExecutionProviderFallback = true;
        using var session = SessionOptionsFactory.Create(options, "m", NullLogger.Instance);
        Assert.IsNotNull(session);
    }
}
