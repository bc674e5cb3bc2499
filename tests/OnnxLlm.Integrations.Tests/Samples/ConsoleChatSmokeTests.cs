using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Samples;

/// <summary>The console chat sample, run for real on the synthetic model; the direct client is the oracle for its answers.</summary>
[TestClass]
public sealed partial class ConsoleChatSmokeTests
{
    [TestMethod]
    public async Task Conversation_WithSystemAndReset_AnswersLikeTheClient()
    {
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        await using var chat = SampleRun.Start("ConsoleChat.dll", "--model", model, "--temperature", "0", "--max-tokens", "6", "--threads", "1");
        foreach (var line in new[] { "你好", "/system Be brief.", "hello", "/nonsense", "/reset", "hi", "/exit" })
            await chat.WriteLineAsync(line);
        Assert.AreEqual(0, await chat.WaitForExitAsync(TimeSpan.FromMinutes(2)), chat.StdErr);

        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = model, IntraOpThreads = 1 });
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 6 };
        var first = await direct.GetResponseAsync([new ChatMessage(ChatRole.User, "你好")], options);
        var second = await direct.GetResponseAsync(
            [new(ChatRole.System, "Be brief."), new(ChatRole.User, "你好"), .. first.Messages, new(ChatRole.User, "hello")], options);
        var third = await direct.GetResponseAsync([new(ChatRole.System, "Be brief."), new(ChatRole.User, "hi")], options);

        string output = chat.StdOut;
        string[] answers = AnswerLine().Matches(output).Select(m => m.Groups[1].Value).ToArray();
        CollectionAssert.AreEqual(new[] { first.Text, second.Text, third.Text }, answers, output);
        var stats = StatsLine().Matches(output);
        Assert.HasCount(3, stats, output);
        Assert.IsTrue(stats.All(s => s.Groups["tokens"].Value == "6" && s.Groups["finish"].Value == "length"), output);
        StringAssert.Contains(output, "Unknown command /nonsense");
        StringAssert.Contains(output, "(conversation cleared)");
    }

    [TestMethod]
    public async Task BackendGenAi_AnswersLikeOurLoop()
    {
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        await using var chat = SampleRun.Start("ConsoleChat.dll", "--model", model, "--temperature", "0", "--max-tokens", "6", "--threads", "1",
            "--backend", "GenAI");
        foreach (var line in new[] { "hello", "/exit" })
            await chat.WriteLineAsync(line);
        Assert.AreEqual(0, await chat.WaitForExitAsync(TimeSpan.FromMinutes(2)), chat.StdErr);

        // Greedy tokens are the same on both backends (same graph, same logits), so our loop's answer is the oracle.
        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = model, IntraOpThreads = 1, Backend = Backends.InferenceBackend.OnnxLlm });
        var expected = await direct.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        string[] answers = AnswerLine().Matches(chat.StdOut).Select(m => m.Groups[1].Value).ToArray();
        CollectionAssert.AreEqual(new[] { expected.Text }, answers, chat.StdOut);
    }

    [TestMethod]
    public async Task CtrlC_StopsTheAnswer_AndTheChatGoesOn()
    {
        if (OperatingSystem.IsWindows()) Assert.Inconclusive("SIGINT is sent with kill(1).");
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        await using var chat = SampleRun.Start("ConsoleChat.dll", "--model", model, "--temperature", "0", "--max-tokens", "4000", "--threads", "1");
        await chat.WriteLineAsync("Tell me everything.");
        await chat.WaitForOutputAsync(o => o.IndexOf("assistant> ", StringComparison.Ordinal) is int i and >= 0 && o.Length > i + 40,
            TimeSpan.FromMinutes(1), "the answer to start streaming");

        using (var kill = Process.Start("kill", ["-INT", chat.ProcessId.ToString()])) await kill.WaitForExitAsync();
        await chat.WaitForOutputAsync(o => o.Contains("[answer stopped]"), TimeSpan.FromSeconds(30), "the answer to stop");

        await chat.WriteLineAsync("hi");
        await chat.WriteLineAsync("/exit");
        Assert.AreEqual(0, await chat.WaitForExitAsync(TimeSpan.FromMinutes(2)), "Ctrl+C during an answer must not end the program");
        string afterStop = chat.StdOut[chat.StdOut.IndexOf("[answer stopped]", StringComparison.Ordinal)..];
        Assert.HasCount(1, StatsLine().Matches(afterStop), $"the next question is answered in full:\n{afterStop}");
        Assert.IsEmpty(StatsLine().Matches(chat.StdOut[..chat.StdOut.IndexOf("[answer stopped]", StringComparison.Ordinal)]), "the stopped answer reports no statistics");
    }

    [TestMethod]
    public async Task Qwen3_NoThink_AnswersLikeTheClientWithThinkingOff()
    {
        string model = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32);
        await using var chat = SampleRun.Start("ConsoleChat.dll", "--model", model, "--temperature", "0", "--max-tokens", "6", "--threads", "1", "--no-think");
        await chat.WriteLineAsync("你好");
        await chat.WriteLineAsync("/exit");
        Assert.AreEqual(0, await chat.WaitForExitAsync(TimeSpan.FromMinutes(2)), chat.StdErr);

        using var direct = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = model, IntraOpThreads = 1 });
        var off = new ChatOptions { Temperature = 0, MaxOutputTokens = 6, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } };
        var expected = await direct.GetResponseAsync([new ChatMessage(ChatRole.User, "你好")], off);
        var on = await direct.GetResponseAsync([new ChatMessage(ChatRole.User, "你好")], new ChatOptions { Temperature = 0, MaxOutputTokens = 6 });
        int emptyThinkBlock = direct.Model.Tokenizer.Encode("<think>\n\n</think>\n\n").Count;
        Assert.AreEqual(on.Usage!.InputTokenCount + emptyThinkBlock, expected.Usage!.InputTokenCount, "thinking off adds the empty think block to the prompt");

        Assert.AreNotEqual(on.Text, expected.Text, "the two prompts lead this model to different answers, so the check below tells them apart");
        string output = chat.StdOut;
        CollectionAssert.AreEqual(new[] { expected.Text }, AnswerLine().Matches(output).Select(m => m.Groups[1].Value).ToArray(), output);
    }

    [GeneratedRegex(@"assistant> (.*?)\r?\n", RegexOptions.Singleline)]
    private static partial Regex AnswerLine();

    [GeneratedRegex(@"(?<tokens>\d+) tokens · first token \d+ ms · [\d.]+ tokens/s · (?<finish>\w+)")]
    private static partial Regex StatsLine();
}
