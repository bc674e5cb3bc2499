using System.Text.Json;
using Google.Protobuf;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Inference;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Exporting;

/// <summary>The exported folder's files: GenAI config, tokenizer copies, report, and the graph's declared I/O.</summary>
[TestClass]
public sealed class ModelFolderTests
{
    [TestMethod]
    public async Task GenAiConfig_DescribesTheModel_InGenAisSchema()
    {
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp16);
        var source = Qwen2Config.Load(TestModels.TinyConfig);
        var config = GenAiConfig.Load(Path.Combine(folder, "genai_config.json"));
        Assert.AreEqual("qwen2", config.ModelType);
        Assert.AreEqual(4096, config.ContextLength, "the export's --max-length");
        Assert.AreEqual(source.VocabSize, config.VocabSize);
        Assert.AreEqual(source.NumHiddenLayers, config.NumHiddenLayers);
        Assert.AreEqual(source.NumAttentionHeads, config.NumAttentionHeads);
        Assert.AreEqual(source.NumKeyValueHeads, config.NumKeyValueHeads);
        Assert.AreEqual(source.HeadDim, config.HeadSize);
        CollectionAssert.AreEqual(new[] { 151645, 151643 }, config.EosTokenIds.ToArray(), "eos ids come from generation_config.json");
        Assert.AreEqual(151643, config.BosTokenId);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "genai_config.json")));
        var decoder = doc.RootElement.GetProperty("model").GetProperty("decoder");
        Assert.AreEqual("model.onnx", decoder.GetProperty("filename").GetString());
        Assert.AreEqual("past_key_values.%d.key", decoder.GetProperty("inputs").GetProperty("past_key_names").GetString());
        Assert.AreEqual("present.%d.value", decoder.GetProperty("outputs").GetProperty("present_value_names").GetString());
        Assert.IsTrue(doc.RootElement.GetProperty("search").GetProperty("past_present_share_buffer").GetBoolean());
    }

    [TestMethod]
    public async Task TokenizerFilesAndReport_AreCopiedAndTrue()
    {
        string folder = await TestModels.TinyAsync(ExportPrecision.Fp16);
        foreach (var name in new[] { "vocab.json", "merges.txt", "tokenizer_config.json", "generation_config.json", "config.json" })
            Assert.IsTrue(File.Exists(Path.Combine(folder, name)), $"{name} should be copied");
        Assert.AreEqual(
            File.ReadAllText(TestModels.TestData("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json")),
            File.ReadAllText(Path.Combine(folder, "tokenizer_config.json")));

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, Qwen2Exporter.ReportFileName)));
        Assert.AreEqual("Fp16", report.RootElement.GetProperty("precision").GetString());
        Assert.AreEqual(new FileInfo(Path.Combine(folder, "model.onnx.data")).Length,
            report.RootElement.GetProperty("files").GetProperty("model.onnx.data").GetInt64());
    }

    [TestMethod]
    [DataRow(ExportPrecision.Fp16, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float16)]
    [DataRow(ExportPrecision.Fp32, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float)]
    public async Task Graph_DeclaresGenAiInputsAndOutputs(ExportPrecision precision, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType kvType)
    {
        string folder = await TestModels.TinyAsync(precision);
        using var model = ModelRunner.Load(folder);
        Assert.AreEqual(kvType, model.KvElementType);
        var session = model.Session;
        CollectionAssert.AreEquivalent(
            new[] { "input_ids", "attention_mask", "past_key_values.0.key", "past_key_values.0.value", "past_key_values.1.key", "past_key_values.1.value" },
            session.InputMetadata.Keys.ToArray());
        CollectionAssert.AreEquivalent(
            new[] { "logits", "present.0.key", "present.0.value", "present.1.key", "present.1.value" },
            session.OutputMetadata.Keys.ToArray());
        Assert.AreEqual(Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float, session.OutputMetadata["logits"].ElementDataType, "logits are float32 at every precision");
        CollectionAssert.AreEqual(new[] { -1, 2, -1, 16 }, session.InputMetadata["past_key_values.0.key"].Dimensions);
    }

    /// <summary>A copy of the fp32 tiny export whose model.onnx is edited by <paramref name="edit"/>.</summary>
    private static async Task<string> EditedCopyAsync(Action<ModelProto> edit)
    {
        string source = await TestModels.TinyAsync(ExportPrecision.Fp32);
        string folder = TestModels.CopyFolder(source, "edited");
        string path = Path.Combine(folder, "model.onnx");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        edit(model);
        File.WriteAllBytes(path, model.ToByteArray());
        return folder;
    }

    [TestMethod]
    public async Task FolderWithoutOurMaskContract_RunsWithExactWidthMasks_AndMatchesTheGolden()
    {
        // GenAI-built graphs take the sequence length from the mask's width; without our metadata flag the
        // engine must pass masks exactly as wide as the sequence, and reach the same numbers.
        string folder = await EditedCopyAsync(m =>
        {
            var flag = m.MetadataProps.Single(p => p.Key == OnnxLlm.ModelFolder.GraphMetadata.AttentionMaskKey);
            m.MetadataProps.Remove(flag);
        });
        var golden = Golden.Instance.Cases[1];
        using var model = ModelRunner.Load(folder);
        Assert.IsFalse(((OnnxLlm.Inference.Gqa.GqaDecoderModel)model).CountsAttentionMask);
        using var state = model.CreateState(golden.InputIds.Length + golden.Greedy.Length);
        var logits = state.Prefill(golden.InputIds);
        Assert.IsLessThanOrEqualTo(1e-4, ModelRunner.MaxAbsDiff(logits, golden.LastLogits));
        foreach (int expected in golden.Greedy)
        {
            int token = ModelRunner.ArgMax(logits);
            Assert.AreEqual(expected, token);
            logits = state.Decode(token);
        }
    }

    [TestMethod]
    public async Task GraphInputTheEngineDoesNotFeed_IsNamedInTheError()
    {
        string folder = await EditedCopyAsync(m => m.Graph.Input.Add(new ValueInfoProto
        {
            Name = "position_ids",
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Int64 } },
        }));
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => ModelRunner.Load(folder));
        StringAssert.Contains(ex.Message, "position_ids");
    }
}
