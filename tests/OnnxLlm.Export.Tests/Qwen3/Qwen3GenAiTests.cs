using OnnxLlm.Backends.GenAi;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Qwen3;

/// <summary>
/// Our Qwen3 cpu export runs on ONNX Runtime GenAI 0.20 too (its loader reads our genai_config.json, "type": "qwen3"),
/// and agrees with transformers' Qwen3ForCausalLM: last-position logits within the fp32 bound, 16 greedy tokens exact.
/// </summary>
[TestClass]
public sealed class Qwen3GenAiTests
{
    [TestMethod]
    public async Task GenAi_RunsOurQwen3Folder_AndMatchesTransformers()
    {
        string folder = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32);
        foreach (var golden in Golden.Qwen3.Cases)
        {
            var (logits, greedy) = GenAiScorer.Score(folder, golden.InputIds, golden.Greedy.Length, intraOpThreads: 1);
            Assert.HasCount(golden.LastLogits.Length, logits);
            double maxDelta = 0;
            for (int i = 0; i < logits.Length; i++) maxDelta = Math.Max(maxDelta, Math.Abs(logits[i] - golden.LastLogits[i]));
            Console.WriteLine($"{golden.Name}: GenAI max |Δ logit| {maxDelta:E2}");
            Assert.IsLessThanOrEqualTo(1e-4, maxDelta, $"{golden.Name}: max |Δ logit| {maxDelta}");
            CollectionAssert.AreEqual(golden.Greedy, greedy, golden.Name);
        }
    }
}
