using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// Proves against ONNX Runtime's real GatherBlockQuantized kernel that a table quantized in MatMulNBits' layout
/// (the bytes a tied head reads) gathers back exactly the rows <see cref="BlockDequantizer"/> gives: a one-lookup model
/// over the C#-quantized table, indexed by a [2, 3] id tensor with repeats.
/// </summary>
[TestClass]
public sealed class GatherBlockQuantizedKernelTests
{
    private static readonly long[] Ids = [0, 7, 3, 7, 12, 1];

    [TestMethod]
    [DataRow(64, 4, 32, true)]
    [DataRow(64, 4, 16, false)]   // asymmetric: four blocks, zero points unpacked one per block
    [DataRow(40, 4, 32, true)]    // K not a multiple of the block: the padded tail is sliced off
    [DataRow(72, 4, 32, false)]   // asymmetric with padding and an odd block count
    [DataRow(64, 8, 32, true)]
    [DataRow(48, 8, 32, false)]
    public void Kernel_GathersTheCSharpDequantizedRows(int k, int bits, int blockSize, bool symmetric)
    {
        const int vocab = 13;
        var layout = MatMulNBitsLayout.Create(vocab, k, bits, blockSize);
        var (matrix, _) = BlockQuantizer.Quantize(RandomWeights.Normal(vocab * k, seed: k * 7 + bits), layout, symmetric);
        var table = BlockDequantizer.Dequantize(matrix);

        var actual = RunKernel(matrix);

        Assert.HasCount(Ids.Length * k, actual);
        for (int i = 0; i < Ids.Length; i++)
            for (int c = 0; c < k; c++)
                Assert.AreEqual(table[Ids[i] * k + c], actual[i * k + c], 0f, $"row {i} (id {Ids[i]}), column {c}");
    }

    private static float[] RunKernel(QuantizedMatrix matrix)
    {
        var layout = matrix.Layout;
        var graph = new GraphBuilder("gatherblockquantized");
        graph.Input("ids", OnnxDataType.Int64, 2, 3);
        string codes = graph.Inline("B", OnnxDataType.UInt8, matrix.CodesShape, matrix.Codes);
        string scales = graph.Inline("scales", OnnxDataType.Float, matrix.BlockScalesShape, MemoryMarshal.AsBytes(matrix.Scales.AsSpan()));
        string? zeroPoints = matrix.ZeroPoints is null ? null : graph.Inline("zero_points", OnnxDataType.UInt8, matrix.ZeroPointsShape, matrix.ZeroPoints);
        string? blockZeroPoints = matrix.ZeroPoints is null ? null
            : graph.Inline("block_zero_points", OnnxDataType.UInt8, [layout.N, layout.BlockCount, 1], matrix.UnpackedZeroPoints());
        string y = GatherBlockQuantizedNode.Add(graph, "lookup", "ids", new QuantizedInitializers(layout, codes, scales, zeroPoints, blockZeroPoints, ForGather: true));
        graph.Node("Identity", [y], ["Y"]);
        graph.Output("Y", OnnxDataType.Float, 2, 3, layout.K);

        var model = new ModelProto { IrVersion = 10, ProducerName = "OnnxLlm.Tests", Graph = graph.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });

        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var input = OrtValue.CreateTensorValueFromMemory(Ids, [2, 3]);
        using var results = session.Run(new RunOptions(), ["ids"], [input], ["Y"]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        CollectionAssert.AreEqual(new long[] { 2, 3, layout.K }, shape);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
