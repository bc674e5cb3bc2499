using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OnnxLlm.Backends;
using OnnxLlm.Chat;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Generation;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.Testing;
using OnnxLlm.Tests.Chat;

namespace OnnxLlm.Tests.Conformance;

/// <summary>
/// Folders whose genai_config.json is written as ONNX Runtime GenAI's model builder writes it (builders/base.py,
/// make_genai_config): the fields each backend reads and acts on, and the ones it refuses, naming file and field.
/// The graph is our tiny fp32 export: GenAI's builder makes the same graph for a cpu fp32 Qwen2 (GroupQueryAttention
/// with fused rotary, so no position_ids input); producing a real builder graph needs its Python builder, which this
/// machine cannot run.
/// </summary>
[TestClass]
public sealed class GenAiBuilderFolderTests
{
    /// <summary>
    /// A copy of the tiny export with its genai_config.json replaced by the builder's field set, in the builder's order,
    /// for this checkpoint (qwen2-tiny: eos [151645, 151643] from generation_config.json, pad = eos[0], no sliding
    /// window since its config has none). The builder ships no generation_config.json, so the copy drops ours.
    /// context_length is the export's 4096 (the builder writes max_position_embeddings, the length its rotary cache has).
    /// </summary>
    internal static async Task<string> BuilderFolderAsync(string label, Action<JsonObject>? edit = null)
    {
        string folder = TestModels.CopyFolder(await TestModels.TinyAsync(ExportPrecision.Fp32), label);
        File.Delete(Path.Combine(folder, "generation_config.json"));
        var ours = GenAiConfig.Load(Path.Combine(folder, "genai_config.json"));
        var config = new JsonObject
        {
            ["model"] = new JsonObject
            {
                ["bos_token_id"] = 151643,
                ["context_length"] = ours.ContextLength,
                ["decoder"] = new JsonObject
                {
                    ["session_options"] = new JsonObject { ["log_id"] = "onnxruntime-genai", ["provider_options"] = new JsonArray() },
                    ["filename"] = "model.onnx",
                    ["head_size"] = ours.HeadSize,
                    ["hidden_size"] = ours.HiddenSize,
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = "input_ids",
                        ["attention_mask"] = "attention_mask",
                        ["past_key_names"] = "past_key_values.%d.key",
                        ["past_value_names"] = "past_key_values.%d.value",
                    },
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = "logits",
                        ["present_key_names"] = "present.%d.key",
                        ["present_value_names"] = "present.%d.value",
                    },
                    ["num_attention_heads"] = ours.NumAttentionHeads,
                    ["num_hidden_layers"] = ours.NumHiddenLayers,
                    ["num_key_value_heads"] = ours.NumKeyValueHeads,
                },
                ["eos_token_id"] = new JsonArray(151645, 151643),
                ["pad_token_id"] = 151645,
                ["type"] = "qwen2",
                ["vocab_size"] = ours.VocabSize,
            },
            ["search"] = new JsonObject
            {
                ["diversity_penalty"] = 0.0,
                ["do_sample"] = false,
                ["early_stopping"] = true,
                ["length_penalty"] = 1.0,
                ["max_length"] = ours.ContextLength,
                ["min_length"] = 0,
                ["no_repeat_ngram_size"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                ["past_present_share_buffer"] = true,
                ["repetition_penalty"] = 1.0,
                ["temperature"] = 1.0,
                ["top_k"] = 50,
                ["top_p"] = 1.0,
            },
        };
        edit?.Invoke(config);
        File.WriteAllText(Path.Combine(folder, "genai_config.json"), config.ToJsonString(new() { WriteIndented = true }));
        return folder;
    }

    private static JsonObject Decoder(JsonObject config) => config["model"]!["decoder"]!.AsObject();

    private static JsonObject Search(JsonObject config) => config["search"]!.AsObject();

    /// <summary>
    /// Qwen2.5's config.json carries sliding_window = max_position_embeddings with use_sliding_window false; the builder
    /// still writes the section (cpu is one of its windowed-cache providers), with a window as long as the context.
    /// </summary>
    private static void Qwen25Window(JsonObject config) => Decoder(config)["sliding_window"] = new JsonObject
    {
        ["window_size"] = config["model"]!["context_length"]!.GetValue<int>(),
        ["slide_key_value_cache"] = false,
        ["slide_inputs"] = false,
        ["layers"] = new JsonArray(),
        ["cache_slack"] = 0,
    };

    private static OnnxLlmModel Load(string folder, InferenceBackend backend, ILoggerFactory? logs = null) =>
        OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = 1, Backend = backend }, logs);

    public static IEnumerable<object[]> BackendsAndWindows =>
        [[InferenceBackend.OnnxLlm, false], [InferenceBackend.GenAI, false], [InferenceBackend.OnnxLlm, true], [InferenceBackend.GenAI, true]];

    /// <summary>
    /// Both backends load the builder's folder and, with no sampling options at all, decode the goldens: the search
    /// section's do_sample false is the default (without it our default samples at 0.7 and leaves the goldens), its
    /// eos list are stop ids, and Auto keeps the folder on our loop.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(BackendsAndWindows))]
    public async Task BuilderFolder_LoadsOnBothBackends_AndItsSearchDefaultsGiveTheGoldenTokens(InferenceBackend backend, bool qwen25Window)
    {
        string folder = await BuilderFolderAsync("builder", qwen25Window ? Qwen25Window : null);
        using var model = Load(folder, backend);
        Assert.AreEqual(backend, model.Backend);
        Assert.IsFalse(model.Defaults.DoSample, "search.do_sample false is the default when the folder has no generation_config.json");
        Assert.AreEqual(50, model.Defaults.TopK);
        CollectionAssert.IsSubsetOf(new[] { 151645, 151643 }, model.StopTokenIds.ToArray());

        var sampling = ChatOptionsMapping.ToSampling(null, model.Defaults);
        Assert.IsTrue(sampling.IsGreedy);
        foreach (var golden in Golden.Instance.Cases)
        {
            var (tokens, _, _) = await TokenGeneratorConformanceTests.RunAsync(model.Generator, new GenerationRequest
            {
                PromptTokens = golden.InputIds, MaxNewTokens = golden.Greedy.Length, Sampling = sampling,
            });
            CollectionAssert.AreEqual(golden.Greedy, tokens, golden.Name);
        }

        using var auto = Load(folder, InferenceBackend.Auto);
        Assert.AreEqual(InferenceBackend.OnnxLlm, auto.Backend, "a cpu builder folder runs on our loop under Auto");
    }

    [TestMethod]
    [DynamicData(nameof(BackendModels.Both), typeof(BackendModels))]
    public async Task SearchSection_GivesTheSamplingDefaults_ChatOptionsWin_GenerationConfigWinsWhenPresent(InferenceBackend backend)
    {
        string folder = await BuilderFolderAsync("search", c =>
        {
            var s = Search(c);
            s["do_sample"] = true;
            s["temperature"] = 0.6;
            s["top_k"] = 20;
            s["top_p"] = 0.8;
            s["repetition_penalty"] = 1.05;
        });
        using (var model = Load(folder, backend))
        {
            var d = model.Defaults;
            Assert.IsTrue(d.DoSample);
            Assert.AreEqual(0.6f, d.Temperature, 1e-6f);
            Assert.AreEqual(20, d.TopK);
            Assert.AreEqual(0.8f, d.TopP!.Value, 1e-6f);
            Assert.AreEqual(1.05f, d.RepetitionPenalty, 1e-6f);
            var fromOptions = ChatOptionsMapping.ToSampling(new ChatOptions { Temperature = 0.2f, TopK = 3 }, d);
            Assert.AreEqual(0.2f, fromOptions.Temperature);
            Assert.AreEqual(3, fromOptions.TopK);
            Assert.AreEqual(0.8f, fromOptions.TopP!.Value, 1e-6f, "what ChatOptions leaves out still comes from the search section");

            // Sampling really is the default now: two unseeded answers differ, where the builder's do_sample false gives one answer.
            using var client = new OnnxLlmChatClient(model, defaultMaxOutputTokens: 16);
            ChatMessage[] question = [new(ChatRole.User, "你好, what is ONNX?")];
            var answers = new HashSet<string>();
            for (int i = 0; i < 3; i++) answers.Add((await client.GetResponseAsync(question)).Text);
            Assert.IsTrue(answers.Count > 1, "do_sample true from the search section samples");
        }

        // The author's generation_config.json, where present, wins over the derived search section (qwen2-tiny's sets no
        // sampling fields, so ours apply: sampling at 0.7, no top-k / top-p).
        File.Copy(Path.Combine(Golden.Instance.Dir, "generation_config.json"), Path.Combine(folder, "generation_config.json"));
        using var withGenerationConfig = Load(folder, backend);
        Assert.AreEqual(0.7f, withGenerationConfig.Defaults.Temperature);
        Assert.IsNull(withGenerationConfig.Defaults.TopK);
        Assert.IsNull(withGenerationConfig.Defaults.TopP);
    }

    [TestMethod]
    [DynamicData(nameof(BackendModels.Both), typeof(BackendModels))]
    public async Task SearchMaxLength_CapsTheContext(InferenceBackend backend)
    {
        string folder = await BuilderFolderAsync("max-length", c => Search(c)["max_length"] = 64);
        using var model = Load(folder, backend);
        Assert.AreEqual(64, model.Generator.ContextLength);
        var golden = Golden.Instance.Cases[0];
        var ex = await Assert.ThrowsExactlyAsync<ContextLengthExceededException>(() => TokenGeneratorConformanceTests.RunAsync(model.Generator,
            new GenerationRequest { PromptTokens = golden.InputIds, MaxNewTokens = 65 - golden.InputIds.Length, Sampling = new() { Temperature = 0 } }));
        Assert.AreEqual(64, ex.ContextLength);
    }

    /// <summary>Fields neither backend runs: refused at load, under every backend choice, naming the file and the field.</summary>
    [TestMethod]
    [DataRow("model.type", "llama")]
    [DataRow("model.vision", null)]
    [DataRow("speculative", null)]
    [DataRow("model.decoder.inputs.inputs_embeds", null)]
    [DataRow("search.num_beams", null)]
    [DataRow("search.num_return_sequences", null)]
    [DataRow("search.no_repeat_ngram_size", null)]
    [DataRow("search.min_length", null)]
    public async Task FieldNeitherBackendRuns_IsRefused_NamingFileAndField(string field, string? value)
    {
        string folder = await BuilderFolderAsync("refused", c =>
        {
            switch (field)
            {
                case "model.type": c["model"]!["type"] = value; break;
                case "model.vision": c["model"]!["vision"] = new JsonObject { ["filename"] = "vision.onnx" }; break;
                case "speculative": c["speculative"] = new JsonObject { ["ngram_size"] = 3 }; break;
                case "model.decoder.inputs.inputs_embeds": Decoder(c)["inputs"]!["inputs_embeds"] = "inputs_embeds"; break;
                case "search.num_beams": Search(c)["num_beams"] = 4; break;
                case "search.num_return_sequences": Search(c)["num_return_sequences"] = 2; break;
                case "search.no_repeat_ngram_size": Search(c)["no_repeat_ngram_size"] = 3; break;
                case "search.min_length": Search(c)["min_length"] = 5; break;
            }
        });
        foreach (var backend in new[] { InferenceBackend.Auto, InferenceBackend.OnnxLlm, InferenceBackend.GenAI })
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(folder, backend), backend.ToString());
            StringAssert.Contains(ex.Message, Path.Combine(folder, "genai_config.json"));
            StringAssert.Contains(ex.Message, $"'{field}'");
        }
    }

    /// <summary>
    /// Fields our loop does not run: refused naming file and field when our loop is forced; GenAI runs them, so Auto
    /// hands the folder to it (the ones GenAI can run with this graph decode the goldens there).
    /// </summary>
    [TestMethod]
    [DataRow("search.past_present_share_buffer", true)]
    [DataRow("model.decoder.sliding_window.window_size", true)]
    [DataRow("model.decoder.sliding_window.slide_inputs", false)]
    [DataRow("model.decoder.sliding_window.slide_key_value_cache", false)]
    [DataRow("model.decoder.inputs.block_table", false)]
    [DataRow("model.decoder.outputs.hidden_states", false)]
    [DataRow("model.decoder.pipeline", false)]
    public async Task FieldOurLoopDoesNotRun_IsRefusedOnOurLoop_AutoUsesGenAI(string field, bool genAiDecodesIt)
    {
        string folder = await BuilderFolderAsync("our-loop-refuses", c =>
        {
            var window = new JsonObject { ["window_size"] = 4096, ["slide_key_value_cache"] = false, ["slide_inputs"] = false, ["layers"] = new JsonArray(), ["cache_slack"] = 0 };
            switch (field)
            {
                case "search.past_present_share_buffer": Search(c)["past_present_share_buffer"] = false; break;
                case "model.decoder.sliding_window.window_size": window["window_size"] = 64; Decoder(c)["sliding_window"] = window; break;
                case "model.decoder.sliding_window.slide_inputs": window.Remove("slide_inputs"); Decoder(c)["sliding_window"] = window; break; // GenAI's default: true
                case "model.decoder.sliding_window.slide_key_value_cache": window["slide_key_value_cache"] = true; Decoder(c)["sliding_window"] = window; break;
                case "model.decoder.inputs.block_table": Decoder(c)["inputs"]!["block_table"] = "block_table"; break;
                case "model.decoder.outputs.hidden_states": Decoder(c)["outputs"]!["hidden_states"] = "hidden_states"; break;
                case "model.decoder.pipeline": Decoder(c)["pipeline"] = new JsonArray(new JsonObject { ["embeddings"] = new JsonObject { ["filename"] = "embeddings.onnx" } }); break;
            }
        });
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(folder, InferenceBackend.OnnxLlm));
        StringAssert.Contains(ex.Message, Path.Combine(folder, "genai_config.json"));
        StringAssert.Contains(ex.Message, $"'{field}'");
        if (!genAiDecodesIt) return;

        using var model = Load(folder, InferenceBackend.Auto);
        Assert.AreEqual(InferenceBackend.GenAI, model.Backend);
        await TokenGeneratorConformanceTests.AssertGreedyGoldenAsync(model.Generator);
    }

    /// <summary>
    /// A builder folder made for a device names its provider in provider_options. Auto hands it to GenAI, which uses that
    /// provider (only GenAI's CPU package is referenced here, so loading fails naming cuda); forcing our loop runs it
    /// on the CPU with a warning naming the file, the field and the provider (decided: a warning, not an error).
    /// </summary>
    [TestMethod]
    public async Task DeviceProviderInTheFolder_AutoUsesGenAIWithIt_ForcedOurLoopWarns()
    {
        string folder = await BuilderFolderAsync("cuda", c =>
            c["model"]!["decoder"]!["session_options"]!["provider_options"] = new JsonArray(new JsonObject { ["cuda"] = new JsonObject { ["enable_cuda_graph"] = "0" } }));
        var config = GenAiConfig.Load(Path.Combine(folder, "genai_config.json"));
        Assert.AreEqual("cuda", config.ProviderOptions.Single().Name);
        Assert.AreEqual("0", config.ProviderOptions.Single().Options["enable_cuda_graph"]);

        var auto = Assert.ThrowsExactly<InvalidDataException>(() => Load(folder, InferenceBackend.Auto));
        StringAssert.Contains(auto.Message, "cuda");

        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        using var model = Load(folder, InferenceBackend.OnnxLlm, factory);
        Assert.AreEqual(InferenceBackend.OnnxLlm, model.Backend);
        var warning = logs.Entries.Single(e => e.Level == LogLevel.Warning && e.Message.Contains("provider_options"));
        StringAssert.Contains(warning.Message, Path.Combine(folder, "genai_config.json"));
        StringAssert.Contains(warning.Message, "'cuda'");
    }

    /// <summary>
    /// The builder's graph takes position_ids where rotary runs outside attention (e.g. its dml builds), and its config
    /// then names the input. Our export has no such graph, so the input is declared on ours (unused, which is enough to
    /// be an input our loop does not feed): forced, our loop refuses naming it; Auto runs GenAI with the goldens.
    /// </summary>
    [TestMethod]
    public async Task BuilderFolderWithPositionIds_AutoPicksGenAI_WithTheGoldenTokens()
    {
        string folder = await BuilderFolderAsync("position-ids", c =>
        {
            // The builder's order: input_ids, attention_mask, position_ids, past names.
            var ordered = new JsonObject { ["input_ids"] = "input_ids", ["attention_mask"] = "attention_mask", ["position_ids"] = "position_ids",
                ["past_key_names"] = "past_key_values.%d.key", ["past_value_names"] = "past_key_values.%d.value" };
            Decoder(c)["inputs"] = ordered;
        });
        string onnx = Path.Combine(folder, "model.onnx");
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var positionIds = proto.Graph.Input.Single(i => i.Name == "input_ids").Clone();
        positionIds.Name = "position_ids";
        proto.Graph.Input.Add(positionIds);
        File.WriteAllBytes(onnx, proto.ToByteArray());

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Load(folder, InferenceBackend.OnnxLlm));
        StringAssert.Contains(ex.Message, "position_ids");
        using var model = Load(folder, InferenceBackend.Auto);
        Assert.AreEqual(InferenceBackend.GenAI, model.Backend);
        var sampling = ChatOptionsMapping.ToSampling(null, model.Defaults);
        foreach (var golden in Golden.Instance.Cases)
        {
            var (tokens, _, _) = await TokenGeneratorConformanceTests.RunAsync(model.Generator, new GenerationRequest
            {
                PromptTokens = golden.InputIds, MaxNewTokens = golden.Greedy.Length, Sampling = sampling,
            });
            CollectionAssert.AreEqual(golden.Greedy, tokens, golden.Name);
        }
    }

    /// <summary>What the format reader keeps of a builder file beyond the decoder shapes.</summary>
    [TestMethod]
    public async Task Reader_KeepsProvidersWindowSearchAndOtherEntries()
    {
        string folder = await BuilderFolderAsync("reader", c =>
        {
            Qwen25Window(c);
            Decoder(c)["inputs"]!["block_table"] = "block_table";
            c["model"]!["embedding"] = new JsonObject { ["filename"] = "embeddings.onnx" };
            c["model"]!["decoder"]!["session_options"]!["provider_options"] = new JsonArray(
                new JsonObject { ["dml"] = new JsonObject { ["enable_graph_capture"] = "1" } });
            Search(c).Remove("top_p");
        });
        var config = GenAiConfig.Load(Path.Combine(folder, "genai_config.json"));
        Assert.AreEqual(new GenAiSlidingWindow { WindowSize = 4096, SlideInputs = false, SlideKeyValueCache = false, Layers = config.SlidingWindow!.Layers }, config.SlidingWindow);
        Assert.AreEqual(0, config.SlidingWindow.Layers.Count);
        Assert.AreEqual("block_table", config.OtherDecoderInputs["block_table"]);
        CollectionAssert.AreEqual(new[] { "model.embedding" }, config.OtherSections.ToArray());
        Assert.AreEqual("dml", config.ProviderOptions.Single().Name);
        CollectionAssert.AreEqual(new[] { 151645, 151643 }, config.EosTokenIds.ToArray());
        Assert.IsFalse(config.Search.DoSample);
        Assert.AreEqual(50, config.Search.TopK);
        Assert.IsNull(config.Search.TopP, "a field the file leaves out is null, not GenAI's default");
        Assert.IsTrue(config.Search.PastPresentShareBuffer);
        Assert.AreEqual(4096, config.MaxSequenceLength);
    }
}
