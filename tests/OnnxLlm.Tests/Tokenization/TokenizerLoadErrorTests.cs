using OnnxLlm.Tokenization;

namespace OnnxLlm.Tests.Tokenization;

/// <summary>Missing and malformed files fail with exceptions that name the file at fault.</summary>
[TestClass]
public sealed class TokenizerLoadErrorTests
{
    private string _directory = null!;

    [TestInitialize]
    public void CreateDirectory() => _directory = TokenizerTestData.CreateTempDirectory();

    [TestCleanup]
    public void DeleteDirectory() => Directory.Delete(_directory, recursive: true);

    [TestMethod]
    public void FromFiles_MissingVocab_NamesIt()
    {
        string missing = Path.Combine(_directory, "vocab.json");

        var ex = Assert.ThrowsExactly<FileNotFoundException>(
            () => QwenTokenizer.FromFiles(missing, TokenizerTestData.MergesPath, TokenizerTestData.InstructConfigPath));

        Assert.AreEqual(missing, ex.FileName);
        StringAssert.Contains(ex.Message, missing);
    }

    [TestMethod]
    public void FromFiles_MissingMerges_NamesIt()
    {
        string missing = Path.Combine(_directory, "merges.txt");

        var ex = Assert.ThrowsExactly<FileNotFoundException>(
            () => QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, missing, null));

        Assert.AreEqual(missing, ex.FileName);
    }

    [TestMethod]
    public void FromFiles_MissingConfig_NamesIt()
    {
        string missing = Path.Combine(_directory, "tokenizer_config.json");

        var ex = Assert.ThrowsExactly<FileNotFoundException>(
            () => QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, missing));

        Assert.AreEqual(missing, ex.FileName);
    }

    [TestMethod]
    public void FromDirectory_WithoutTokenizerFiles_NamesVocabJson()
    {
        File.Copy(TokenizerTestData.MergesPath, Path.Combine(_directory, "merges.txt"));

        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => QwenTokenizer.FromDirectory(_directory));

        Assert.AreEqual(Path.Combine(_directory, "vocab.json"), ex.FileName);
        StringAssert.Contains(ex.Message, "tokenizer.json");
    }

    [TestMethod]
    public void FromDirectory_MissingDirectory_Throws()
    {
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => QwenTokenizer.FromDirectory(Path.Combine(_directory, "nope")));
    }

    [TestMethod]
    [DataRow("{\"a\": 0, \"b\": ", DisplayName = "truncated JSON")]
    [DataRow("[\"a\", \"b\"]", DisplayName = "array instead of object")]
    [DataRow("{\"a\": \"zero\"}", DisplayName = "string id")]
    [DataRow("{\"a\": -1}", DisplayName = "negative id")]
    [DataRow("{}", DisplayName = "empty")]
    public void FromFiles_MalformedVocab_NamesIt(string json)
    {
        string vocab = Write("vocab.json", json);

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, TokenizerTestData.MergesPath, null));

        StringAssert.Contains(ex.Message, vocab);
    }

    [TestMethod]
    public void FromFiles_MalformedConfig_NamesIt()
    {
        string config = Write("tokenizer_config.json", "{\"added_tokens_decoder\": {\"151643\": {\"content\": ");

        var ex = Assert.ThrowsExactly<InvalidDataException>(
            () => QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, TokenizerTestData.MergesPath, config));

        StringAssert.Contains(ex.Message, config);
    }

    [TestMethod]
    public void FromFiles_MalformedMergesLine_NamesFileAndLine()
    {
        string merges = Write("merges.txt", "#version: 0.2\nĠ Ġ\nthis line has three\n");

        var ex = Assert.ThrowsExactly<InvalidDataException>(
            () => QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, merges, null));

        StringAssert.Contains(ex.Message, merges);
        StringAssert.Contains(ex.Message, "line 3");
    }

    [TestMethod]
    public void FromFiles_MergeOfUnknownToken_NamesMergesFile()
    {
        string merges = Write("merges.txt", "#version: 0.2\nĠ Ġ\nnot-a-token Ġ\n");

        var ex = Assert.ThrowsExactly<InvalidDataException>(
            () => QwenTokenizer.FromFiles(TokenizerTestData.VocabPath, merges, null));

        StringAssert.Contains(ex.Message, merges);
            StringAssert.Contains(ex.Message, "do not match the vocabulary");
        StringAssert.Contains(ex.Message, "'not-a-token'");
    }

    [TestMethod]
    public void FromFiles_MergeIntoUnknownToken_NamesMergesFileAndToken()
    {
        // Both halves exist but their concatenation does not: BPE could not give the merged piece an id.
        string vocab = Write("vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2, \"c\": 3}");
        string merges = Write("merges.txt", "a b\nab c\n");

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, null));

        StringAssert.Contains(ex.Message, merges);
        StringAssert.Contains(ex.Message, "merge 2 ('ab c')");
        StringAssert.Contains(ex.Message, "'abc' is not in the vocabulary");
    }

    [TestMethod]
    public void FromFiles_MergeListedTwice_NamesMergesFileAndMerge()
    {
        string vocab = Write("vocab.json", "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        string merges = Write("merges.txt", "a b\na b\n");

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, null));

        StringAssert.Contains(ex.Message, merges);
        StringAssert.Contains(ex.Message, "listed twice");
        StringAssert.Contains(ex.Message, "merge 2 ('a b')");
    }

    [TestMethod]
    [DataRow("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []", DisplayName = "truncated JSON")]
    [DataRow("{\"normalizer\": null}", DisplayName = "no model")]
    [DataRow("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|\\\\s+(?!\\\\S)|\\\\s+\"}}, \"model\": {\"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}", DisplayName = "merge pair of one")]
    public void FromTokenizerJson_Malformed_NamesIt(string json)
    {
        string path = Write("tokenizer.json", json);

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromTokenizerJson(path));

        StringAssert.Contains(ex.Message, path);
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }
}
