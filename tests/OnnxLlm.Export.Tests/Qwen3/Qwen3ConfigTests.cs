using System.Text.Json.Nodes;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.Export.Tests.TestSupport;

namespace OnnxLlm.Export.Tests.Qwen3;

/// <summary>How Qwen3's config.json keys are read: q/k norms, attention_bias, explicit head_dim and the sliding-window switch.</summary>
[TestClass]
public sealed class Qwen3ConfigTests
{
    private static string WriteVariant(TempDirectory temp, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(TestData.Path("qwen3-tiny", "config.json")))!.AsObject();
        edit(json);
        string path = temp.Combine($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [TestMethod]
    public void OfficialShapes_HaveQkNorms_NoBiases_AndTheirOwnHeadDim()
    {
        var config = Qwen2Config.Load(TestData.Path("configs", "qwen3-0.6b", "config.json"));
        Assert.IsTrue(config.HasQkNorm);
        Assert.IsFalse(config.HasAttentionBias);
        Assert.AreEqual(128, config.HeadDim);
        Assert.AreNotEqual(config.HiddenSize / config.NumAttentionHeads, config.HeadDim);
        var tensors = SyntheticCheckpointLayout.GetTensors(config).ToDictionary(t => t.Name, t => t.Shape);
        CollectionAssert.AreEqual(new long[] { 2048, 1024 }, tensors["model.layers.0.self_attn.q_proj.weight"]);
        CollectionAssert.AreEqual(new long[] { 1024, 2048 }, tensors["model.layers.0.self_attn.o_proj.weight"]);
        CollectionAssert.AreEqual(new long[] { 128 }, tensors["model.layers.27.self_attn.k_norm.weight"]);
        Assert.IsFalse(tensors.Keys.Any(n => n.EndsWith(".bias", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void Qwen2_KeepsItsBiases_AndHasNoQkNorms()
    {
        var config = Qwen2Config.Load(TestData.Path("qwen2-tiny", "config.json"));
        Assert.IsTrue(config.HasAttentionBias);
        Assert.IsFalse(config.HasQkNorm);
    }

    [TestMethod]
    public void AttentionBiasTrue_AddsProjectionBiases()
    {
        using var temp = new TempDirectory("qwen3-config");
        var config = Qwen2Config.Load(WriteVariant(temp, c => c["attention_bias"] = true));
        Assert.IsTrue(config.HasAttentionBias);
        Assert.IsTrue(SyntheticCheckpointLayout.GetTensors(config).Any(t => t.Name == "model.layers.1.self_attn.v_proj.bias"));
    }

    [TestMethod]
    public void SlidingWindowSet_WithUseSlidingWindowFalse_IsAcceptedAndIgnored()
    {
        // transformers 4.51 would window eager attention here; we follow use_sliding_window, as Qwen3Config documents it.
        using var temp = new TempDirectory("qwen3-config");
        var config = Qwen2Config.Load(WriteVariant(temp, c => c["sliding_window"] = 4096));
        Assert.AreEqual(4096, config.SlidingWindow);
        Assert.IsFalse(config.UseSlidingWindow);
    }

    [TestMethod]
    public void UseSlidingWindowTrue_IsRejectedNamingTheFileAndKey()
    {
        using var temp = new TempDirectory("qwen3-config");
        string path = WriteVariant(temp, c => { c["sliding_window"] = 4096; c["use_sliding_window"] = true; });
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Qwen2Config.Load(path));
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "use_sliding_window");
    }

    [TestMethod]
    public void UnknownModelType_IsRejectedNamingBothSupportedTypes()
    {
        using var temp = new TempDirectory("qwen3-config");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Qwen2Config.Load(WriteVariant(temp, c => c["model_type"] = "qwen3_moe")));
        StringAssert.Contains(ex.Message, "qwen3_moe");
        StringAssert.Contains(ex.Message, "'qwen3'");
    }
}
