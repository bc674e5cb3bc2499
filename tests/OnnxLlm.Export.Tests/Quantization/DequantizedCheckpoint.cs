using System.Collections.Concurrent;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Quantization;

namespace OnnxLlm.Export.Tests.Quantization;

/// <summary>
/// A checkpoint whose decoder Linear weights read back quantized-then-dequantized (through the C# quantizer
/// and the spec-derived dequantizer), so the float reference model computes exactly what an int export should.
/// With <paramref name="quantizedEmbedding"/>, the embedding table (which a tied head reads too) and an untied lm_head are
/// dequantized the same way.
/// </summary>
internal sealed class DequantizedCheckpoint(ICheckpointWeights inner, int bits, QuantizationOptions options, bool quantizedEmbedding = false) : ICheckpointWeights
{
    private static readonly string[] Linears = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    private readonly ConcurrentDictionary<string, float[]> _dequantized = new(StringComparer.Ordinal);

    public bool Contains(string name) => inner.Contains(name);

    public IReadOnlyList<long> GetShape(string name) => inner.GetShape(name);

    public void ReadAsFloat32(string name, long elementOffset, Span<float> destination)
    {
        if (!IsQuantized(name))
        {
            inner.ReadAsFloat32(name, elementOffset, destination);
            return;
        }
        var values = _dequantized.GetOrAdd(name, Dequantize);
        values.AsSpan(checked((int)elementOffset), destination.Length).CopyTo(destination);
    }

    private bool IsQuantized(string name) => (quantizedEmbedding && name is "model.embed_tokens.weight" or "lm_head.weight") || name.EndsWith(".weight", StringComparison.Ordinal) && Linears.Any(l => name.Contains($".{l}.", StringComparison.Ordinal));

    private float[] Dequantize(string name)
    {
        var shape = inner.GetShape(name);
        var source = new float[shape[0] * shape[1]];
        inner.ReadAsFloat32(name, 0, source);
        int blockSize = name == "model.embed_tokens.weight" ? Math.Min(options.BlockSizeFor(bits), QuantizationOptions.MaxTableBlockSize) : options.BlockSizeFor(bits);
        var layout = MatMulNBitsLayout.Create((int)shape[0], (int)shape[1], bits, blockSize);
        return BlockDequantizer.Dequantize(BlockQuantizer.Quantize(source, layout, !options.Asymmetric).Matrix);
    }
}
