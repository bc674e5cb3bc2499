using OnnxLlm.Backends.GenAi;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>
/// ONNX Runtime GenAI 0.20 runs the graphs our exporter now writes — packed q/k/v into GroupQueryAttention,
/// MatMulNBits with its bias input at the int8 default of block 128, the fp16 head in slices — and, as a peer running
/// the same weights, agrees with our own loop: last-position logits within float rounding, greedy tokens identical.
/// </summary>
[TestClass]
public sealed class GenAiAgreementTests
{
    private const int GreedySteps = 12;

    [TestMethod]
    // Measured: 0 at every precision (one ONNX Runtime, the same kernels, one thread each).
    [DataRow(ExportPrecision.Int8, 1e-5)]
    [DataRow(ExportPrecision.Int4, 1e-5)]
    [DataRow(ExportPrecision.Fp16, 1e-5)]
    public async Task GenAi_AndOurLoop_AgreeOnTheSameFolder(ExportPrecision precision, double bound)
    {
        string folder = await TestModels.TinyAsync(precision);
        using var model = ModelRunner.Load(folder);
        foreach (var golden in Golden.Instance.Cases)
        {
            var (genAiLogits, genAiGreedy) = GenAiScorer.Score(folder, golden.InputIds, GreedySteps, intraOpThreads: 1);
            using var state = model.CreateState(golden.InputIds.Length + GreedySteps);
            var logits = state.Prefill(golden.InputIds).ToArray();
            double delta = ModelRunner.MaxAbsDiff(logits, genAiLogits);
            var greedy = new List<int>();
            for (int step = 0; step < GreedySteps; step++)
            {
                greedy.Add(ModelRunner.ArgMax(logits));
                if (step + 1 < GreedySteps) logits = state.Decode(greedy[^1]).ToArray();
            }
            Console.WriteLine($"{precision} {golden.Name}: max |GenAI − ours| {delta:0.0e0}");
            Assert.IsLessThanOrEqualTo(bound, delta, $"{precision} {golden.Name}: last-position logits");
            CollectionAssert.AreEqual(greedy, genAiGreedy, $"{precision} {golden.Name}: greedy tokens");
        }
    }
}
