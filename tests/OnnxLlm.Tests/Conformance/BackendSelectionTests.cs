using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using OnnxLlm.Backends;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Generation;
using OnnxLlm.Runtime;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Conformance;

/// <summary>How <see cref="OnnxLlmOptions.Backend"/> resolves, and the errors for options that contradict each other.</summary>
[TestClass]
public sealed class BackendSelectionTests
{
    private static async Task<OnnxLlmOptions> OptionsAsync(Action<OnnxLlmOptions> configure)
    {
        var options = new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 };
        configure(options);
        return options;
    }

    [TestMethod]
    public async Task Auto_OurOwnExport_RunsOnOurLoop()
    {
        using var model = OnnxLlmModel.Load(await OptionsAsync(_ => { }));
        Assert.AreEqual(InferenceBackend.OnnxLlm, model.Backend);
        Assert.IsInstanceOfType<GenerationEngine>(model.Generator);
    }

    /// <summary>
    /// A folder whose graph takes position_ids (as GenAI-builder folders do): our loop refuses it naming the input,
    /// Auto hands it to GenAI, which feeds that input and reproduces the goldens.
    /// </summary>
    [TestMethod]
    public async Task Auto_FolderWithAnInputOurLoopDoesNotFeed_RunsOnGenAI_WithTheGoldenTokens()
    {
        string folder = TestModels.CopyFolder(await TestModels.TinyAsync(ExportPrecision.Fp32), "position-ids");
        string onnx = Path.Combine(folder, "model.onnx");
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var positionIds = proto.Graph.Input.Single(i => i.Name == "input_ids").Clone();
        positionIds.Name = "position_ids"; // declared, unused by the graph: enough to make it an input we do not feed
        proto.Graph.Input.Add(positionIds);
        File.WriteAllBytes(onnx, proto.ToByteArray());
        string configPath = Path.Combine(folder, "genai_config.json");
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        config["model"]!["decoder"]!["inputs"]!["position_ids"] = "position_ids";
        File.WriteAllText(configPath, config.ToJsonString());

        var ex = Assert.ThrowsExactly<InvalidDataException>(() => OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, Backend = InferenceBackend.OnnxLlm }));
        StringAssert.Contains(ex.Message, "position_ids");

        using var model = OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = folder, IntraOpThreads = 1 });
        Assert.AreEqual(InferenceBackend.GenAI, model.Backend);
        await TokenGeneratorConformanceTests.AssertGreedyGoldenAsync(model.Generator);
    }

    [TestMethod]
    public async Task ContradictoryOptions_FailNamingTheOption()
    {
        var onnxLlmWithGenAiProvider = Assert.ThrowsExactly<ArgumentException>(() =>
            OnnxLlmModel.Load(OptionsAsync(o => { o.Backend = InferenceBackend.OnnxLlm; o.GenAiProvider = "cuda"; }).Result));
        StringAssert.Contains(onnxLlmWithGenAiProvider.Message, "GenAiProvider");

        var genAiWithExecutionProvider = Assert.ThrowsExactly<ArgumentException>(() =>
            OnnxLlmModel.Load(OptionsAsync(o => { o.Backend = InferenceBackend.GenAI; o.ExecutionProvider = ExecutionProvider.CoreML; }).Result));
        StringAssert.Contains(genAiWithExecutionProvider.Message, "ExecutionProvider");

        var optionsWithoutProvider = Assert.ThrowsExactly<ArgumentException>(() =>
            OnnxLlmModel.Load(OptionsAsync(o => { o.Backend = InferenceBackend.GenAI; o.GenAiProviderOptions["device_id"] = "0"; }).Result));
        StringAssert.Contains(optionsWithoutProvider.Message, "GenAiProviderOptions");
    }

    [TestMethod]
    public async Task GenAiProvider_NotInstalled_FailsNamingTheProviderAndFolder()
    {
        // Only GenAI's CPU package is referenced: asking for cuda (which also makes Auto pick GenAI) must fail clearly.
        var options = await OptionsAsync(o => o.GenAiProvider = "cuda");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => OnnxLlmModel.Load(options));
        StringAssert.Contains(ex.Message, "cuda");
        StringAssert.Contains(ex.Message, Path.GetFullPath(options.ModelPath!));
    }

    [TestMethod]
    public async Task CoreMLExport_RunsOnlyOnOurLoop()
    {
        string coreml = await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = coreml, Backend = InferenceBackend.GenAI }));
        StringAssert.Contains(ex.Message, "static-kv");
        using var model = OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = coreml, IntraOpThreads = 1 });
        Assert.AreEqual(InferenceBackend.OnnxLlm, model.Backend);
    }

    [TestMethod]
    public void BackendAndProvider_BindFromConfiguration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OnnxLlm:Backend"] = "GenAI",
            ["OnnxLlm:GenAiProvider"] = "cuda",
            ["OnnxLlm:GenAiProviderOptions:device_id"] = "1",
        }).Build();
        var options = new OnnxLlmOptions();
        configuration.GetSection("OnnxLlm").Bind(options);
        Assert.AreEqual(InferenceBackend.GenAI, options.Backend);
        Assert.AreEqual("cuda", options.GenAiProvider);
        Assert.AreEqual("1", options.GenAiProviderOptions["device_id"]);
    }
}
