using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Precision;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Qwen2;
using OnnxLlm.Export.Tests.Exporting;
using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// int4 / int8 exports of qwen2-tiny against transformers' goldens: the graph really uses MatMulNBits for
/// every decoder Linear, logits stay within stated bounds, greedy choices mostly agree, and the report
/// carries the quantization error.
/// </summary>
[TestClass]
public sealed class QuantizedExportTests
{
    /// <summary>The decoder Linears per layer: q/k/v packed into one, o, gate, up, down.</summary>
    private const int LinearsPerLayer = 5;

    public static IEnumerable<object[]> Variants =>
    [
        // name, precision, options, max |logit − golden| bound, teacher-forced greedy agreement floor (48 steps).
        // Measured on qwen2-tiny (golden logits up to ±9.6) and noted per row, with the quantized embedding table (in
        // parentheses: before it, when the lookup read a float table); bounds left ~1.5× headroom before it. Quantizing the
        // table (the model's input as well as its tied head) costs 2–4 greedy steps on this 64-wide random model.
        // QuantizedReferenceTests shows the graph adds only ~4e-6 to this: the rest is the weights' quantization,
        // which random tiny weights amplify more than trained ones (final RMSNorm over a 64-wide hidden state).
        ["int8", ExportPrecision.Int8, new QuantizationOptions(), 0.4, 0.95],                                  // block 128: 0.196, 48/48
        ["int8-b32", ExportPrecision.Int8, new QuantizationOptions { BlockSize = 32 }, 0.4, 0.95],             // 0.180, 48/48 (0.240, 48/48)
        ["int4", ExportPrecision.Int4, new QuantizationOptions(), 4.0, 0.85],                                  // 3.515, 43/48 (2.658, 45/48 with a float table)
        ["int4-asym", ExportPrecision.Int4, new QuantizationOptions { Asymmetric = true }, 4.0, 0.85],         // 2.725, 41/48 (1.972, 45/48)
        ["int4-b64", ExportPrecision.Int4, new QuantizationOptions { BlockSize = 64 }, 4.0, 0.75],             // 3.134, 38/48
        ["int4-b128-asym", ExportPrecision.Int4, new QuantizationOptions { BlockSize = 128, Asymmetric = true }, 4.0, 0.85], // 2.580, 43/48
        ["int4-b128", ExportPrecision.Int4, new QuantizationOptions { BlockSize = 128 }, 4.0, 0.75],           // 3.256, 39/48 (2.251, 41/48)
        ["int4-acc0", ExportPrecision.Int4, new QuantizationOptions { AccuracyLevel = 0 }, 4.0, 0.85],         // 3.512, 44/48 (2.635, 46/48)
        ["int4-float-head", ExportPrecision.Int4, new QuantizationOptions { QuantizeLmHead = false }, 4.0, 0.85], // 2.638, 46/48
    ];

    private static Task<string> ExportAsync(ExportPrecision precision, QuantizationOptions options) =>
        TestModels.ExportAsync(TestModels.TinyConfig, Golden.Instance.Seed, precision, maxLength: 4096, quantization: options);

    [TestMethod]
    [DynamicData(nameof(Variants))]
    public async Task Logits_StayWithinStatedBound_AndGreedyMostlyAgrees(string name, ExportPrecision precision, QuantizationOptions options,
        double logitBound, double agreementFloor)
    {
        using var model = ModelRunner.Load(await ExportAsync(precision, options));
        double worst = 0;
        int agreed = 0, steps = 0;
        foreach (var golden in Golden.Instance.Cases)
        {
            using var state = model.CreateState(golden.InputIds.Length + golden.Greedy.Length);
            var logits = state.Prefill(golden.InputIds);
            worst = Math.Max(worst, ModelRunner.MaxAbsDiff(logits, golden.LastLogits));
            // Teacher-forced: each step sees the golden prefix, so one early disagreement cannot cascade.
            for (int step = 0; step < golden.Greedy.Length; step++, steps++)
            {
                if (ModelRunner.ArgMax(logits) == golden.Greedy[step]) agreed++;
                logits = state.Decode(golden.Greedy[step]);
            }
        }
        double agreement = (double)agreed / steps;
        Console.WriteLine($"{name}: max |logit − golden| {worst:0.000}, teacher-forced greedy agreement {agreed}/{steps}");
        Assert.IsLessThanOrEqualTo(logitBound, worst, $"{name}: max |logit − golden|");
        Assert.IsGreaterThanOrEqualTo(agreementFloor, agreement, $"{name}: greedy agreement {agreed}/{steps}");
    }

    [TestMethod]
    [DynamicData(nameof(Variants))]
    public async Task Graph_UsesMatMulNBitsForEveryDecoderLinear_AndTheReportSaysSo(string name, ExportPrecision precision, QuantizationOptions options,
        double logitBound, double agreementFloor)
    {
        _ = (logitBound, agreementFloor);
        string folder = await ExportAsync(precision, options);
        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(Path.Combine(folder, "model.onnx")));
        var nodes = model.Graph.Node;
        // The head is one product per slice of its rows (HeadSliceTests); the report names each checkpoint weight once.
        int layers = 2, expected = layers * LinearsPerLayer + (options.QuantizeLmHead ? 1 : 0);
        var nbits = nodes.Where(n => n.OpType == MatMulNBitsNode.OpType).ToList();
        int bits = precision.QuantizationBits()!.Value;
        Assert.HasCount(layers * LinearsPerLayer + (options.QuantizeLmHead ? Qwen2CpuGraph.MaxHeadSlices : 0), nbits, name);
        Assert.IsFalse(nodes.Any(n => n.OpType == "MatMul"), $"{name}: no float MatMul should remain");
        Assert.AreEqual(options.QuantizeLmHead ? 0 : Qwen2CpuGraph.MaxHeadSlices, nodes.Count(n => n.OpType == "Gemm"), $"{name}: lm_head");
        // The embedding is a quantized lookup unless it is also the float head (tied, head kept float).
        Assert.AreEqual(options.QuantizeLmHead ? 0 : 1, nodes.Count(n => n.OpType == "Gather"), $"{name}: float embedding Gather");
        var lookups = nodes.Where(n => n.OpType == GatherBlockQuantizedNode.OpType).ToList();
        Assert.HasCount(options.QuantizeLmHead ? 1 : 0, lookups, $"{name}: quantized embedding lookup");
        if (options.QuantizeLmHead)
        {
            // The tied head reads slices of the lookup's own codes and scales (HeadSliceTests): the table is stored once.
            Assert.AreEqual(bits, lookups[0].Attribute.Single(a => a.Name == "bits").I);
        }
        foreach (var node in nbits)
        {
            Assert.AreEqual(bits, node.Attribute.Single(a => a.Name == "bits").I);
            // The tied head is the embedding table, whose block size is capped.
            int blockSize = node.Name.StartsWith("/lm_head/", StringComparison.Ordinal)
                ? Math.Min(options.BlockSizeFor(bits), QuantizationOptions.MaxTableBlockSize) : options.BlockSizeFor(bits);
            Assert.AreEqual(blockSize, node.Attribute.Single(a => a.Name == "block_size").I, node.Name);
            Assert.AreEqual(options.AccuracyLevel, node.Attribute.Single(a => a.Name == "accuracy_level").I);
            // Inputs A, B, scales[, zero points][, g_idx, bias]: the packed q/k/v projection carries Qwen2's biases.
            bool biased = node.Name.Contains("/attn/qkv_proj/", StringComparison.Ordinal);
            Assert.AreEqual(biased ? 6 : options.Asymmetric ? 4 : 3, node.Input.Count, node.Name);
            Assert.AreEqual(options.Asymmetric, node.Input.Count > 3 && node.Input[3].Length > 0, $"{node.Name}: zero points iff asymmetric");
            if (biased) Assert.IsTrue(model.Graph.Initializer.Any(i => i.Name == node.Input[5]), $"{node.Name}: bias initializer");
        }
        // The KV cache stays float32 for the int precisions.
        Assert.AreEqual((int)TensorProto.Types.DataType.Float, model.Graph.Input.Single(i => i.Name == "past_key_values.0.key").Type.TensorType.ElemType);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, Qwen2Exporter.ReportFileName)));
        var q = json.RootElement.GetProperty("quantization");
        Assert.AreEqual(bits, q.GetProperty("bits").GetInt32());
        Assert.AreEqual(!options.Asymmetric, q.GetProperty("symmetric").GetBoolean());
        Assert.AreEqual(options.QuantizeLmHead, q.GetProperty("lm_head_quantized").GetBoolean());
        var tensors = q.GetProperty("tensors").EnumerateArray().ToList();
        Assert.HasCount(expected, tensors);
        double overall = q.GetProperty("relative_rms_error").GetDouble();
        // Measured: int4 6.3–6.6 % relative RMS error (all block sizes and modes), int8 0.38 %.
        Assert.IsLessThanOrEqualTo(bits == 4 ? 0.1 : 0.006, overall, $"{name}: overall relative RMS error");
        Assert.IsGreaterThan(0.0, overall, $"{name}: quantization cannot be lossless on random weights");
        foreach (var t in tensors)
            Assert.IsLessThanOrEqualTo(q.GetProperty("max_abs_error").GetDouble(), t.GetProperty("max_abs_error").GetDouble(), "overall max bounds each tensor's");
    }

    [TestMethod]
    public async Task Int4_RunsThroughTheChatClient_WithUsage()
    {
        string folder = await ExportAsync(ExportPrecision.Int4, new QuantizationOptions());
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = folder });
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello!")], new ChatOptions { MaxOutputTokens = 8, Seed = 3 });
        Assert.IsNotNull(response.Usage);
        Assert.AreEqual(8, (int)response.Usage.OutputTokenCount!);
        Assert.IsGreaterThan(0, (int)response.Usage.InputTokenCount!);
        Assert.AreEqual(ChatFinishReason.Length, response.FinishReason);
    }

    [TestMethod]
    public async Task UnsupportedBlockSize_FailsBeforeWritingAnything()
    {
        string checkpoint = await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, tokenizer: null);
        string output = Path.Combine(TestModels.Root, "bad-block-" + Guid.NewGuid().ToString("N"));
        var ex = await Assert.ThrowsExactlyAsync<ArgumentOutOfRangeException>(() => Qwen2Exporter.ExportAsync(new ExportOptions
        {
            InputDirectory = checkpoint, OutputDirectory = output, Precision = ExportPrecision.Int4,
            Quantization = new QuantizationOptions { BlockSize = 48 },
        }));
        Assert.AreEqual("BlockSize", ex.ParamName);
        Assert.IsFalse(Directory.Exists(output));
    }
}
