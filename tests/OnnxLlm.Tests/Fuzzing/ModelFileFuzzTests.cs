using System.Text;
using OnnxLlm.Generation;
using OnnxLlm.Inference;
using OnnxLlm.Testing.Fuzzing;
using OnnxLlm.Tests.Tokenization;
using OnnxLlm.Tokenization;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Tests.Fuzzing;

/// <summary>
/// Fuzzes the SDK's readers of a model folder — genai_config.json, generation_config.json and the tokenizer files —
/// with <see cref="FuzzRunner"/>: each must load or refuse a hostile file with its documented exception naming the file.
/// A tokenizer that loads must also encode and decode, so a file the reader accepted cannot break it later.
/// </summary>
[TestClass]
public sealed class ModelFileFuzzTests
{
    /// <summary>Readers may allocate a fixed working set (the vocabulary dictionary is pre-sized) plus a multiple of the input.</summary>
    private static long Budget(byte[] input) => 16_000_000 + 64L * input.Length;

    private static readonly byte[] GenAiConfigSeed = Encoding.UTF8.GetBytes("""
        {"model": {"bos_token_id": 1, "context_length": 4096, "decoder": {"filename": "model.onnx", "head_size": 16,
          "hidden_size": 64, "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
          "past_key_names": "past_key_values.%d.key", "past_value_names": "past_key_values.%d.value"},
          "outputs": {"logits": "logits", "present_key_names": "present.%d.key", "present_value_names": "present.%d.value"},
          "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2},
          "eos_token_id": [2, 1], "pad_token_id": 1, "type": "qwen2", "vocab_size": 300},
         "search": {"do_sample": false, "temperature": 1, "top_k": 1, "top_p": 1}}
        """);

    private static readonly byte[] GenerationConfigSeed = Encoding.UTF8.GetBytes("""
        {"bos_token_id": 1, "do_sample": true, "eos_token_id": [2, 1], "repetition_penalty": 1.05, "temperature": 0.7, "top_k": 20, "top_p": 0.8}
        """);

    private static readonly byte[] VocabSeed = Encoding.UTF8.GetBytes("""{"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4, "<|endoftext|>": 5}""");

    private static readonly byte[] MergesSeed = Encoding.UTF8.GetBytes("#version: 0.2\na b\nĠ a\n");

    private static readonly byte[] TokenizerConfigSeed = Encoding.UTF8.GetBytes("""
        {"added_tokens_decoder": {"5": {"content": "<|endoftext|>", "special": true}, "6": {"content": "<|im_end|>", "special": true}},
         "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}
        """);

    private static readonly byte[] TokenizerJsonSeed = Encoding.UTF8.GetBytes("""
        {"version": "1.0", "added_tokens": [{"id": 5, "content": "<|endoftext|>", "special": true}],
         "normalizer": {"type": "NFC"},
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
           {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, "behavior": "Isolated", "invert": false},
           {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false}]},
         "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġa": 4}, "merges": ["a b", ["Ġ", "a"]]}}
        """);

    private readonly FuzzFolder _temp = new();

    [TestInitialize]
    public void CreateFolder() => Directory.CreateDirectory(_temp.Path);

    [TestCleanup]
    public void DeleteFolder() => Directory.Delete(_temp.Path, recursive: true);

    [TestMethod]
    public void MutatedGenAiConfigs_LoadOrFailNamingTheFile()
    {
        string path = Path.Combine(_temp.Path, "genai_config.json");
        FuzzRunner.Check(HostileGen.Of(GenAiConfigSeed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            GenAiConfig.Load(path);
        }, ex => ex is InvalidDataException, path, Budget, HostileGen.Describe);
    }

    [TestMethod]
    public void MutatedGenerationConfigs_LoadOrFailNamingTheFile()
    {
        string path = Path.Combine(_temp.Path, "generation_config.json");
        FuzzRunner.Check(HostileGen.Of(GenerationConfigSeed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            GenerationDefaults.Load(path);
        }, ex => ex is InvalidDataException, path, Budget, HostileGen.Describe);
    }

    [TestMethod]
    [DataRow("vocab.json")]
    [DataRow("merges.txt")]
    [DataRow("tokenizer_config.json")]
    public void MutatedVocabMergesAndConfig_LoadOrFailNamingTheFile(string mutated)
    {
        string vocab = Path.Combine(_temp.Path, "vocab.json"), merges = Path.Combine(_temp.Path, "merges.txt");
        string config = Path.Combine(_temp.Path, "tokenizer_config.json");
        File.WriteAllBytes(vocab, VocabSeed);
        File.WriteAllBytes(merges, MergesSeed);
        File.WriteAllBytes(config, TokenizerConfigSeed);
        string path = Path.Combine(_temp.Path, mutated);
        byte[] seed = File.ReadAllBytes(path);
        FuzzRunner.Check(HostileGen.Of(seed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            Exercise(QwenTokenizer.FromFiles(vocab, merges, config));
            // A vocabulary that disagrees with intact merges is reported against merges.txt: the folder is named either way.
        }, IsTokenizerError, _temp.Path, Budget, HostileGen.Describe);
    }

    [TestMethod]
    public void MutatedTokenizerJson_LoadsOrFailsNamingTheFile()
    {
        string path = Path.Combine(_temp.Path, "tokenizer.json");
        FuzzRunner.Check(HostileGen.Of(TokenizerJsonSeed), bytes =>
        {
            File.WriteAllBytes(path, bytes);
            Exercise(QwenTokenizer.FromTokenizerJson(path));
        }, IsTokenizerError, path, Budget, HostileGen.Describe);
    }

    [TestMethod]
    public void TheSeedsThemselvesLoad()
    {
        // The control: unmutated seeds are valid, so the fuzzers start from files that reach deep into each reader.
        string genai = Path.Combine(_temp.Path, "genai_config.json");
        File.WriteAllBytes(genai, GenAiConfigSeed);
        Assert.AreEqual(16, GenAiConfig.Load(genai).HeadSize);
        string generation = Path.Combine(_temp.Path, "generation_config.json");
        File.WriteAllBytes(generation, GenerationConfigSeed);
        Assert.AreEqual(20, GenerationDefaults.Load(generation).TopK);
        string tokenizerJson = Path.Combine(_temp.Path, "tokenizer.json");
        File.WriteAllBytes(tokenizerJson, TokenizerJsonSeed);
        CollectionAssert.AreEqual(new[] { 2, 4 }, QwenTokenizer.FromTokenizerJson(tokenizerJson).Encode("ab a").ToArray());
    }

    private static bool IsTokenizerError(Exception ex) => ex is InvalidDataException or NotSupportedException;

    private static void Exercise(QwenTokenizer tokenizer)
    {
        var ids = tokenizer.Encode("ab a <|endoftext|> b\u00e9\u4e2d!");
        tokenizer.Decode(ids);
    }
}

/// <summary>A private temporary folder for one test's fuzzed files.</summary>
internal sealed class FuzzFolder
{
    /// <summary>The folder (created by the test's initializer).</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "onnxllm-fuzz-" + Guid.NewGuid().ToString("N"));
}
