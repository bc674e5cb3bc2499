using System.Text.Json;
using System.Text.Json.Nodes;
using OnnxLlm.Testing;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>The tokenizer against transformers.js' goldens (22 strings), both ways, and its edge cases.</summary>
[TestClass]
public sealed class QwenTokenizerTests
{
    public static IEnumerable<object[]> Cases => TokenizerFixture.Goldens.Select((g, i) => new object[] { i, g.Text.Length > 24 ? g.Text[..24] : g.Text });

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Encode_MatchesTheGoldenIds(int index, string label)
    {
        var (text, ids, _) = TokenizerFixture.Goldens[index];
        CollectionAssert.AreEqual(ids, TokenizerFixture.Instruct.Encode(text).ToArray(), $"case {index}: {label}");
        Assert.AreEqual(ids.Length, TokenizerFixture.Instruct.CountTokens(text));
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void Decode_MatchesTheGoldenText(int index, string label)
    {
        var (_, ids, decoded) = TokenizerFixture.Goldens[index];
        Assert.AreEqual(decoded, TokenizerFixture.Instruct.Decode(ids), $"case {index}: {label}");
    }

    [TestMethod]
    public void AddedTokensInText_AreSingleIds_LookalikesAreNot()
    {
        var tokenizer = TokenizerFixture.Instruct;
        var ids = tokenizer.Encode("<|im_start|>user\nhi<|im_end|>");
        Assert.AreEqual(151644, ids[0]);
        Assert.AreEqual(151645, ids[^1]);
        var lookalike = tokenizer.Encode("<|im_start |>");
        Assert.IsFalse(lookalike.Contains(151644));
        Assert.IsGreaterThan(1, lookalike.Count);
        Assert.IsTrue(tokenizer.IsSpecial(151645));
        Assert.IsFalse(tokenizer.IsSpecial(tokenizer.TokenToId("<tool_call>")!.Value), "<tool_call> is an added, non-special token");
        Assert.AreEqual("<|im_end|>", tokenizer.EosToken);
        Assert.AreEqual("user\nhi", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [TestMethod]
    public void TokenizerJsonAlone_GivesTheSameIds()
    {
        // Build a tokenizer.json (HF schema, merges as [a, b] pairs) from the same vocabulary and merges.
        string folder = Path.Combine(TestModels.Root, "tokjson-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var vocab = JsonNode.Parse(File.ReadAllText(TestModels.TestData("tokenizer", "qwen2.5", "vocab.json")))!;
        var merges = new JsonArray(File.ReadLines(TestModels.TestData("tokenizer", "qwen2.5", "merges.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith("#version")).Select(l => (JsonNode)new JsonArray(l.Split(' ')[0], l.Split(' ')[1])).ToArray());
        var config = JsonNode.Parse(File.ReadAllText(TestModels.TestData("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json")))!;
        var added = new JsonArray(config["added_tokens_decoder"]!.AsObject().Select(p => (JsonNode)new JsonObject
        {
            ["id"] = int.Parse(p.Key), ["content"] = p.Value!["content"]!.GetValue<string>(), ["special"] = p.Value!["special"]!.GetValue<bool>(),
        }).ToArray());
        var json = new JsonObject { ["added_tokens"] = added, ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab.DeepClone(), ["merges"] = merges } };
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());

        var fromJson = QwenTokenizer.FromDirectory(folder);
        foreach (var (text, ids, _) in TokenizerFixture.Goldens)
            CollectionAssert.AreEqual(ids, fromJson.Encode(text).ToArray(), text);
    }

    [TestMethod]
    public void MissingOrMalformedFiles_NameTheFile()
    {
        string folder = Path.Combine(TestModels.Root, "badtok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => QwenTokenizer.FromDirectory(folder));
        StringAssert.Contains(missing.Message, folder);

        File.WriteAllText(Path.Combine(folder, "vocab.json"), "{ not json");
        File.WriteAllText(Path.Combine(folder, "merges.txt"), "#version: 0.2\n");
        var malformed = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromDirectory(folder));
        StringAssert.Contains(malformed.Message, Path.Combine(folder, "vocab.json"));
    }

    [TestMethod]
    public void ConcurrentEncoding_EqualsSequential()
    {
        var tokenizer = TokenizerFixture.Instruct;
        var texts = TokenizerFixture.Goldens.Select(g => g.Text).ToArray();
        var expected = texts.Select(t => tokenizer.Encode(t).ToArray()).ToArray();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            CollectionAssert.AreEqual(expected[i % texts.Length], tokenizer.Encode(texts[i % texts.Length]).ToArray()));
    }
}
