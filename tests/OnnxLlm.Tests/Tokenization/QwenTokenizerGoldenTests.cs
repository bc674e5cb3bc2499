using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>The tokenizer against ids and text produced by an independent implementation (transformers.js).</summary>
[TestClass]
public sealed class QwenTokenizerGoldenTests
{
    public static IEnumerable<TestDataRow<GoldenCase>> GoldenRows => TokenizerTestData.GoldenRows;

    [TestMethod]
    public void GoldenFile_HasTheExpectedCases()
    {
        Assert.HasCount(22, TokenizerTestData.Golden);

        // The goldens come from Qwen3's tokenizer.json, whose only difference from Qwen2.5 is four added tokens with
        // ids 151665-151668. No case uses them, so Qwen2.5's files must reproduce every case as is.
        Assert.IsTrue(TokenizerTestData.Golden.SelectMany(c => c.Ids).All(id => id < 151665));
    }

    [TestMethod]
    [DynamicData(nameof(GoldenRows))]
    public void EncodeAndDecode_MatchGolden(GoldenCase golden)
    {
        QwenTokenizer tokenizer = TokenizerTestData.Instruct;

        IReadOnlyList<int> ids = tokenizer.Encode(golden.Text);

        CollectionAssert.AreEqual(golden.Ids, ids.ToArray(), $"ids: got [{string.Join(", ", ids)}]");
        Assert.AreEqual(golden.Ids.Length, tokenizer.CountTokens(golden.Text));
        Assert.AreEqual(golden.Decoded, tokenizer.Decode(golden.Ids));
        Assert.AreEqual(golden.Decoded, tokenizer.Decode((ReadOnlySpan<int>)golden.Ids));
    }
}
