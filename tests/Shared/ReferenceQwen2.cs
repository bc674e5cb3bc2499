using OnnxLlm.Export.Checkpoints;

namespace OnnxLlm.Testing;

/// <summary>
/// An independent, deliberately plain Qwen2 / Qwen3 forward pass in float64 (no KV cache, no ONNX): embedding,
/// then per layer RMSNorm → q/k/v (+bias) → (Qwen3: RMSNorm of each q and k head) → half-split RoPE → causal
/// grouped-query attention scaled by 1/√head_dim → o_proj →
/// residual → RMSNorm → SiLU-gated MLP → residual; final RMSNorm and the (tied or untied) head.
/// Tests check it against transformers' goldens, then use it as the oracle for configs without goldens.
/// </summary>
internal sealed class ReferenceQwen2
{
    private readonly Qwen2Config _c;
    private readonly ICheckpointWeights _w;
    private readonly Dictionary<string, float[]> _cache = new();

    public ReferenceQwen2(Qwen2Config config, ICheckpointWeights weights)
    {
        _c = config;
        _w = weights;
    }

    /// <summary>Logits of the last position after running <paramref name="ids"/> from position 0.</summary>
    public double[] LastLogits(IReadOnlyList<int> ids)
    {
        int n = ids.Count, h = _c.HiddenSize, d = _c.HeadDim, heads = _c.NumAttentionHeads, kvHeads = _c.NumKeyValueHeads;
        var x = new double[n][];
        var embed = W("model.embed_tokens.weight");
        for (int t = 0; t < n; t++) x[t] = Enumerable.Range(0, h).Select(j => (double)embed[(long)ids[t] * h + j]).ToArray();

        for (int l = 0; l < _c.NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            var q = new double[n][]; var k = new double[n][]; var v = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var normed = RmsNorm(x[t], W(p + "input_layernorm.weight"));
                string? Bias(string proj) => _c.HasAttentionBias ? p + $"self_attn.{proj}.bias" : null;
                q[t] = Linear(normed, p + "self_attn.q_proj.weight", Bias("q_proj"));
                k[t] = Linear(normed, p + "self_attn.k_proj.weight", Bias("k_proj"));
                v[t] = Linear(normed, p + "self_attn.v_proj.weight", Bias("v_proj"));
                if (_c.HasQkNorm)
                {
                    for (int hh = 0; hh < heads; hh++) HeadNorm(q[t], hh * d, W(p + "self_attn.q_norm.weight"));
                    for (int hh = 0; hh < kvHeads; hh++) HeadNorm(k[t], hh * d, W(p + "self_attn.k_norm.weight"));
                }
                for (int hh = 0; hh < heads; hh++) Rope(q[t], hh * d, t);
                for (int hh = 0; hh < kvHeads; hh++) Rope(k[t], hh * d, t);
            }
            int group = heads / kvHeads;
            for (int t = 0; t < n; t++)
            {
                var attn = new double[heads * d];
                for (int hh = 0; hh < heads; hh++)
                {
                    int kvh = hh / group; // repeat_interleave: query heads 0..group-1 share kv head 0
                    var scores = new double[t + 1];
                    double max = double.NegativeInfinity;
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int j = 0; j < d; j++) dot += q[t][hh * d + j] * k[s][kvh * d + j];
                        scores[s] = dot / Math.Sqrt(d);
                        max = Math.Max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.Exp(scores[s] - max); sum += scores[s]; }
                    for (int s = 0; s <= t; s++)
                        for (int j = 0; j < d; j++) attn[hh * d + j] += scores[s] / sum * v[s][kvh * d + j];
                }
                var o = Linear(attn, p + "self_attn.o_proj.weight", null);
                for (int j = 0; j < h; j++) x[t][j] += o[j];
                var normed = RmsNorm(x[t], W(p + "post_attention_layernorm.weight"));
                var gate = Linear(normed, p + "mlp.gate_proj.weight", null);
                var up = Linear(normed, p + "mlp.up_proj.weight", null);
                for (int j = 0; j < gate.Length; j++) gate[j] = gate[j] / (1 + Math.Exp(-gate[j])) * up[j];
                var down = Linear(gate, p + "mlp.down_proj.weight", null);
                for (int j = 0; j < h; j++) x[t][j] += down[j];
            }
        }
        var final = RmsNorm(x[n - 1], W("model.norm.weight"));
        return Linear(final, _c.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight", null);
    }

    private double[] RmsNorm(double[] x, float[] weight)
    {
        double ms = x.Sum(e => e * e) / x.Length;
        double inv = 1 / Math.Sqrt(ms + _c.RmsNormEps);
        return x.Select((e, i) => e * inv * weight[i]).ToArray();
    }

    /// <summary>RMSNorm of one head (head_dim values at <paramref name="offset"/>), in place.</summary>
    private void HeadNorm(double[] vec, int offset, float[] weight)
    {
        var normed = RmsNorm(vec[offset..(offset + weight.Length)], weight);
        normed.CopyTo(vec, offset);
    }

    private double[] Linear(double[] x, string weight, string? bias)
    {
        var w = W(weight);
        int outDim = w.Length / x.Length;
        var y = new double[outDim];
        var b = bias is null ? null : W(bias);
        Parallel.For(0, outDim, o =>
        {
            double acc = b?[o] ?? 0;
            long row = (long)o * x.Length;
            for (int i = 0; i < x.Length; i++) acc += w[row + i] * x[i];
            y[o] = acc;
        });
        return y;
    }

    private void Rope(double[] vec, int offset, int position)
    {
        int d = _c.HeadDim, half = d / 2;
        for (int i = 0; i < half; i++)
        {
            double angle = position / Math.Pow(_c.RopeTheta, 2.0 * i / d);
            double a = vec[offset + i], b = vec[offset + i + half];
            vec[offset + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            vec[offset + i + half] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
    }

    private float[] W(string name)
    {
        if (_cache.TryGetValue(name, out var cached)) return cached;
        long count = _w.GetShape(name).Aggregate(1L, (a, b) => a * b);
        var data = new float[count];
        _w.ReadAsFloat32(name, 0, data);
        return _cache[name] = data;
    }
}
