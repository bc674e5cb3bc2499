using OnnxLlm.Backends;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Readme;

/// <summary>The README "Backends" snippet, verbatim apart from the model path.</summary>
[TestClass]
public sealed class ReadmeBackendSnippetTests
{
    [TestMethod]
    public async Task BackendsSnippet_Compiles_AndWithoutTheCudaPackageFailsNamingCuda()
    {
        string modelPath = await TestModels.TinyAsync(ExportPrecision.Fp32);
        void Snippet()
        {
            using var client = new OnnxLlmChatClient(new OnnxLlmOptions
            {
                ModelPath = modelPath,
                Backend = InferenceBackend.GenAI,   // or "OnnxLlm:Backend": "GenAI" in configuration, `--OnnxLlm:Backend GenAI` for the server
                GenAiProvider = "cuda",             // null or "cpu": the CPU
                GenAiProviderOptions = { ["device_id"] = "0" },
            });
        }
        // Only GenAI's CPU package is referenced here, so the cuda provider cannot be created.
        var ex = Assert.ThrowsExactly<InvalidDataException>(Snippet);
        StringAssert.Contains(ex.Message, "cuda");
    }
}
