using System.Text;
using OnnxLlm.Templates;
using OnnxLlm.Tokenization;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Tests.Fuzzing;

/// <summary>Inputs the model-file and chat-template fuzzers found that broke a reader, kept as named regression tests.</summary>
[TestClass]
public sealed class ModelFileFuzzRegressionTests
{
    private readonly FuzzFolder _temp = new();

    [TestInitialize]
    public void CreateFolder() => Directory.CreateDirectory(_temp.Path);

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_temp.Path, recursive: true);

    private (string Vocab, string Merges) WriteTokenizer(byte[] vocab, string merges)
    {
        string vocabPath = Path.Combine(_temp.Path, "vocab.json"), mergesPath = Path.Combine(_temp.Path, "merges.txt");
        File.WriteAllBytes(vocabPath, vocab);
        File.WriteAllText(mergesPath, merges);
        return (vocabPath, mergesPath);
    }

    [TestMethod]
    public void Vocab_GivingOneIdToTwoTokens_IsInvalidDataNamingTheFile()
    {
        // Found by the vocab.json fuzzer: "-0" parses as id 0, already taken by "a"; Microsoft.ML.Tokenizers then failed
        // with a bare ArgumentException ("An item with the same key has already been added").
        var (vocab, merges) = WriteTokenizer(Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2, "<|endoftext|>": -0}"""), "a b\n");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, null));
        StringAssert.Contains(ex.Message, vocab);
        StringAssert.Contains(ex.Message, "id 0");
    }

    [TestMethod]
    public void Vocab_WithAHugeId_IsRefusedBeforeTheIdTablesAreAllocated()
    {
        // Found by the long vocab.json run: id 184,461,615 in a six-token file sized the id → token tables by it (2.4 GB).
        var (vocab, merges) = WriteTokenizer(Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2, "Ġ": 184461615, "Ġa": 4}"""), "a b\n");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, null));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        StringAssert.Contains(ex.Message, vocab);
        StringAssert.Contains(ex.Message, "184,461,615");
        Assert.IsLessThan(64L * 1024 * 1024, allocated, "the lying id must not size an allocation");
    }

    [TestMethod]
    public void Merges_ListingAPairTwice_IsInvalidDataNamingTheFile()
    {
        // Found by the long merges.txt run: a duplicated line made Microsoft.ML.Tokenizers throw ArgumentException.
        var (vocab, merges) = WriteTokenizer(Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4}"""), "#version: 0.2\na b\nĠ a\n\nĠ a\n");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, null));
        StringAssert.Contains(ex.Message, merges);
    }

    [TestMethod]
    public void TokenizerConfig_WithAnEncodedSurrogate_IsInvalidDataNamingTheFile()
    {
        // Found by the tokenizer_config.json fuzzer: ED A0 80 (a UTF-8-encoded surrogate) in a key passed JsonDocument's
        // validation but failed when read as a string, escaping as InvalidOperationException.
        var (vocab, merges) = WriteTokenizer(Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2}"""), "a b\n");
        string config = Path.Combine(_temp.Path, "tokenizer_config.json");
        File.WriteAllBytes(config, [.. "{\"added_tokens_decoder\": {\""u8, 0xED, 0xA0, 0x80, .. "\": {\"content\": \"x\"}}}"u8]);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromFiles(vocab, merges, config));
        StringAssert.Contains(ex.Message, config);
    }

    [TestMethod]
    public void TokenizerJson_WithInvalidUtf8InAString_IsInvalidDataNamingTheFile()
    {
        // Found by the tokenizer.json fuzzer: CE F8 (a broken two-byte sequence) inside the pre-tokenizer regex.
        string path = Path.Combine(_temp.Path, "tokenizer.json");
        File.WriteAllBytes(path, [.. "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \""u8, 0xCE, 0xF8, .. "\"}}"u8]);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => QwenTokenizer.FromTokenizerJson(path));
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    [DataRow("{% for x in messages|sort %}{{ x }}{% endfor %}", "not supported between")]   // sort's comparer error was wrapped by .NET
    [DataRow("{{ {'a': 1}|tojson(indent=10**9) }}", "limit")]                             // 2 GB of indent
    [DataRow("{{ 'a'|indent(10**9) }}", "limit")]
    [DataRow("{{ 'x' * 10**9 }}", "limit")]
    [DataRow("{{ [1] * 10**9 }}", "limit")]
    [DataRow("{{ ('x' * 1000000)|replace('', 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy') }}", "limit")]
    [DataRow("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "limit")]
    [DataRow("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "steps|MiB")]  // 10^10 iterations
    [DataRow("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "recursed")]
    public void HostileTemplates_FailWithChatTemplateException_Promptly(string source, string reason)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<ChatTemplateException>(() => ChatTemplate.Parse(source).Render(new Dictionary<string, object?> { ["messages"] = new object?[] { new Dictionary<string, object?> { ["role"] = "user" }, new Dictionary<string, object?> { ["role"] = "user" } } }));
        StringAssert.Matches(ex.Message, new System.Text.RegularExpressions.Regex(reason));
        Assert.IsLessThan(60.0, started.Elapsed.TotalSeconds, "a hostile template must fail in bounded time");
    }

    [TestMethod]
    [DataRow(10_000)]
    public void DeeplyNestedTemplates_FailToParseInsteadOfOverflowingTheStack(int depth)
    {
        // Recursive descent would need one stack frame per level: 10,000 '(' ended the process with a stack overflow.
        foreach (string source in new[]
        {
            "{{ " + new string('(', depth) + "1" + new string(')', depth) + " }}",
            "{{ " + string.Concat(Enumerable.Repeat("not ", depth)) + "x }}",
            "{{ " + new string('-', depth) + "1 }}",
            string.Concat(Enumerable.Repeat("{% if true %}", depth)) + string.Concat(Enumerable.Repeat("{% endif %}", depth)),
        })
        {
            var ex = Assert.ThrowsExactly<ChatTemplateException>(() => ChatTemplate.Parse(source));
            StringAssert.Contains(ex.Message, "levels deep");
        }
        // A left-nested chain parses iteratively but evaluates recursively: the renderer bounds it.
        var chain = ChatTemplate.Parse("{{ 1" + string.Concat(Enumerable.Repeat("+1", depth)) + " }}");
        StringAssert.Contains(Assert.ThrowsExactly<ChatTemplateException>(() => chain.Render(new Dictionary<string, object?>())).Message, "levels deep");
    }
}

/// <summary>Regression tests for genai_config.json inputs that escaped the reader's documented exception.</summary>
[TestClass]
public sealed class GenAiConfigFuzzRegressionTests
{
    [TestMethod]
    public void ZeroAttentionHeadsWithoutHeadSize_IsInvalidDataNamingTheFile()
    {
        // head_size falls back to hidden_size / num_attention_heads: zero heads escaped as DivideByZeroException.
        string path = Path.Combine(Path.GetTempPath(), $"genai-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """
            {"model": {"context_length": 64, "vocab_size": 10, "eos_token_id": 1,
              "decoder": {"filename": "model.onnx", "num_hidden_layers": 1, "num_attention_heads": 0, "hidden_size": 64}}}
            """);
        try
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => OnnxLlm.ModelFolder.GenAi.GenAiConfig.Load(path));
            StringAssert.Contains(ex.Message, path);
            StringAssert.Contains(ex.Message, "num_attention_heads");
        }
        finally { File.Delete(path); }
    }
}
