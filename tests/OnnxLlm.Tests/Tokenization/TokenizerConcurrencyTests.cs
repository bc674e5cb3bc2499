using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

[TestClass]
public sealed class TokenizerConcurrencyTests
{
    [TestMethod]
    public void EncodeAndDecodeFromManyThreads_MatchSequentialResults()
    {
        // A fresh instance, so that the threads also race to fill the shared piece cache (ByteLevelBpe).
        QwenTokenizer shared = QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, TokenizerTestData.InstructConfigPath);
        QwenTokenizer reference = TokenizerTestData.Instruct;
        string[] texts = TokenizerTestData.Golden.Select(c => c.Text)
            .Concat(Enumerable.Range(0, 200).Select(i => $"Line {i}: word{i} 词{i} {new string('x', i % 17)} — ok?\n"))
            .ToArray();
        int[][] expected = texts.Select(t => reference.Encode(t).ToArray()).ToArray();

        const int threads = 8;
        using var start = new Barrier(threads);
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Task[] tasks = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (int round = 0; round < 5; round++)
            {
                // Each thread walks the texts in a different order to interleave cache misses.
                for (int k = 0; k < texts.Length; k++)
                {
                    int i = (k * (2 * t + 1) + round) % texts.Length;
                    int[] ids = shared.Encode(texts[i]).ToArray();
                    if (!ids.AsSpan().SequenceEqual(expected[i]) || shared.Decode(ids) != reference.Decode(expected[i]))
                    {
                        failures.Add($"thread {t}, text {i}");
                    }
                }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();

        Task.WaitAll(tasks);
        Assert.IsEmpty(failures, string.Join("; ", failures.Take(5)));
    }
}
