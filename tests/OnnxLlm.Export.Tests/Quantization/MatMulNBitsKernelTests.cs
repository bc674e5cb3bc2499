using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// Proves the packing against ONNX Runtime's real MatMulNBits kernel: a one-node model over the C#-quantized
/// weight must give A · dequantize(B)ᵀ as computed in C# from <see cref="BlockDequantizer"/>.
/// </summary>
[TestClass]
public sealed class MatMulNBitsKernelTests
{
    private const int Rows = 5;

    /// <summary>accuracy_level 0 computes in fp32 from the dequantized weight: only summation order differs (measured ≤ 1.2e-6).</summary>
    private const double ExactTolerance = 1e-4;

    /// <summary>
    /// accuracy_level 4 quantizes A per block to int8 on the fly (≈ 0.4 % of each block's max |a|), so the
    /// result moves by a small fraction of the output's scale: the bound is on max |Δ| / RMS(Y), measured
    /// ≤ 2.1e-2 over these cases (≈ max|a| / 254 per term); a wrong packing gives ratios of 2–6.
    /// </summary>
    private const double Int8ComputeRelativeTolerance = 5e-2;

    [TestMethod]
    [DataRow(64, 24, 4, 32, true, 0)]
    [DataRow(100, 17, 4, 32, true, 0)]   // K not a multiple of the block: padded last block
    [DataRow(72, 8, 4, 16, false, 0)]    // asymmetric, odd block count (zero-point row padding nibble)
    [DataRow(300, 33, 4, 128, false, 0)] // asymmetric, 3 blocks of 128 with the last mostly padding
    [DataRow(96, 10, 4, 64, true, 0)]
    [DataRow(100, 12, 8, 32, true, 0)]
    [DataRow(80, 9, 8, 16, false, 0)]
    [DataRow(256, 40, 4, 32, true, 4)]
    [DataRow(200, 40, 4, 64, false, 4)]
    [DataRow(256, 40, 8, 32, true, 4)]
    [DataRow(160, 24, 8, 32, false, 4)]
    public void Kernel_MatchesTheCSharpDequantizedMatMul(int k, int n, int bits, int blockSize, bool symmetric, int accuracyLevel)
    {
        var layout = MatMulNBitsLayout.Create(n, k, bits, blockSize);
        var (matrix, _) = BlockQuantizer.Quantize(RandomWeights.Normal(n * k, seed: k * 31 + n), layout, symmetric);
        var a = RandomWeights.Normal(Rows * k, seed: k + n, std: 1f);

        var actual = RunKernel(matrix, a, accuracyLevel);
        var expected = ReferenceMatMul(a, BlockDequantizer.Dequantize(matrix), Rows, k, n);

        double maxDiff = 0, sumSquares = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            sumSquares += expected[i] * expected[i];
        }
        double rms = Math.Sqrt(sumSquares / expected.Length);
        if (accuracyLevel == 0)
            Assert.IsLessThanOrEqualTo(ExactTolerance, maxDiff, $"max |kernel − C#| (output RMS {rms})");
        else
            Assert.IsLessThanOrEqualTo(Int8ComputeRelativeTolerance, maxDiff / rms, $"max |kernel − C#| / RMS = {maxDiff} / {rms}");
    }

    private static float[] RunKernel(QuantizedMatrix matrix, float[] a, int accuracyLevel)
    {
        var layout = matrix.Layout;
        var graph = new GraphBuilder("matmulnbits");
        graph.Input("A", OnnxDataType.Float, Rows, layout.K);
        string codes = graph.Inline("B", OnnxDataType.UInt8, matrix.CodesShape, matrix.Codes);
        string scales = graph.Inline("scales", OnnxDataType.Float, matrix.ScalesShape, MemoryMarshal.AsBytes(matrix.Scales.AsSpan()));
        string? zeroPoints = matrix.ZeroPoints is null ? null : graph.Inline("zero_points", OnnxDataType.UInt8, matrix.ZeroPointsShape, matrix.ZeroPoints);
        string y = MatMulNBitsNode.Add(graph, "q", "A", codes, scales, zeroPoints, layout, accuracyLevel);
        graph.Node("Identity", [y], ["Y"]);
        graph.Output("Y", OnnxDataType.Float, Rows, layout.N);

        var model = new ModelProto { IrVersion = 10, ProducerName = "OnnxLlm.Tests", Graph = graph.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphBuilder.MicrosoftDomain, Version = 1 });

        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        using var input = OrtValue.CreateTensorValueFromMemory(a, [Rows, layout.K]);
        using var results = session.Run(new RunOptions(), ["A"], [input], ["Y"]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float[] ReferenceMatMul(float[] a, float[] w, int m, int k, int n)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int t = 0; t < k; t++) sum += (double)a[i * k + t] * w[j * k + t];
                y[i * n + j] = (float)sum;
            }
        return y;
    }
}
