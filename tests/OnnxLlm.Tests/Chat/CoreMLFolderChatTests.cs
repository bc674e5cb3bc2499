using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Inference;
using OnnxLlm.Runtime;
using OnnxLlm.Testing;
using OnnxLlm.ModelFolder.StaticKv;

namespace OnnxLlm.Tests.Chat;

/// <summary>
/// A coreml-target folder (static-kv-v1) behind OnnxLlmChatClient, on this machine's CPU execution provider: the
/// same API as any folder, and the same greedy reply as the cpu-target export of the same weights.
/// </summary>
[TestClass]
public sealed class CoreMLFolderChatTests
{
    private static readonly ChatMessage[] Question = [new(ChatRole.System, "You are terse."), new(ChatRole.User, "你好, what is ONNX?")];

    [TestMethod]
    public async Task GreedyReply_EqualsTheCpuTargetFolders_AndUsageIsReported()
    {
        var greedy = new ChatOptions { MaxOutputTokens = 20, Temperature = 0 };
        using var coreml = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        using var cpu = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 });
        Assert.IsNotNull(coreml.Model.Decoder.StaticContract, "the folder runs through StaticDecoderState");

        var expected = await cpu.GetResponseAsync(Question, greedy);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in coreml.GetStreamingResponseAsync(Question, greedy)) updates.Add(u);
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single();

        Assert.AreEqual(expected.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.AreEqual(expected.Usage!.InputTokenCount, usage.Details.InputTokenCount);
        Assert.IsGreaterThan(TestModels.TinyCoreMLChunk, (int)usage.Details.InputTokenCount!, "the prompt spans several prefill chunks");
        Assert.AreEqual(20, (int)usage.Details.OutputTokenCount!);
    }

    [TestMethod]
    public async Task CoreMLProvider_OffMac_FailsClearly_OrFallsBackWhenAllowed()
    {
        if (OperatingSystem.IsMacOS()) Assert.Inconclusive("This checks the behaviour off macOS.");
        string folder = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp16);
        var ex = Assert.ThrowsExactly<PlatformNotSupportedException>(() =>
            OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, ExecutionProvider = ExecutionProvider.CoreML }));
        StringAssert.Contains(ex.Message, "macOS");
        using var model = OnnxLlmModel.Load(new OnnxLlmOptions
        {
            ModelPath = folder, ExecutionProvider = ExecutionProvider.CoreML, AllowExecutionProviderFallback = true, IntraOpThreads = 1,
        });
        Assert.IsInstanceOfType<StaticKvContract>(model.Decoder.StaticContract);
    }
}
