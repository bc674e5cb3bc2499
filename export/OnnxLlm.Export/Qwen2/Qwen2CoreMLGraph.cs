using System.Runtime.InteropServices;
using N = OnnxLlm.Export.Qwen2.Qwen2TensorNames;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// Builds the <c>coreml</c>-target Qwen2 decoder for one fixed number of new tokens S (1 for the decode step,
/// the prefill chunk for prefill). It uses only standard ONNX ops that ONNX Runtime 1.31's CoreML EP accepts
/// in MLProgram form, and every tensor has a static shape of rank ≤ 4, so the whole graph is one Core ML
/// partition (see shared/docs/onnxruntime-coreml-and-cpu.md):
/// <list type="bullet">
/// <item>RMSNorm is Mul → ReduceMean → Add → Sqrt → Div (computed in fp32, because x² of a large fp16
/// activation overflows fp16); Qwen3's per-head q/k norms are the same over the head_dim axis.</item>
/// <item>Rotary (Qwen's half-split pairing) is Split → Concat → Mul/Add with cos/sin rows Gathered from constant
/// tables by the host's <c>position_ids</c>; the minus sign of rotate_half is folded into the sin table, so no
/// Neg (unsupported) and no Mul(−1) is needed.</item>
/// <item>GQA shares a K/V head between the query heads of its group by reshaping Q to
/// [1, kv_heads, groups·S, head_dim] — no Expand/Tile of K and V.</item>
/// <item>Attention is MatMul → Add(additive mask from the host) → Softmax → MatMul over
/// concat(past buffer [1, kv_heads, max_length, head_dim], new rows). The past buffer is an input of fixed
/// length; only the S new rows are outputs (ORT copies every Core ML output each run), and the host writes
/// them into its buffer.</item>
/// <item>A prefill graph (S &gt; 1) takes <c>logits_index</c> and projects only that row onto the vocabulary.</item>
/// </list>
/// </summary>
internal sealed class Qwen2CoreMLGraph
{
    private readonly Qwen2Config _config;
    private readonly WeightWriter _weights;
    private readonly InitializerCache _shared;
    private readonly GraphBuilder _g;
    private readonly int _s;
    private readonly int _maxLength;
    private readonly OnnxDataType _t;

    private Qwen2CoreMLGraph(Qwen2Config config, WeightWriter weights, InitializerCache shared, GraphBuilder graph, int sequenceLength, int maxLength)
    {
        _config = config;
        _weights = weights;
        _shared = shared;
        _g = graph;
        _s = sequenceLength;
        _maxLength = maxLength;
        _t = weights.DataType;
    }

    /// <summary>Adds the decoder for <paramref name="sequenceLength"/> new tokens to <paramref name="graph"/>.</summary>
    /// <param name="config">The checkpoint's architecture.</param>
    /// <param name="weights">Writes weights the first time a graph of this export needs them.</param>
    /// <param name="shared">Initializers already written by another graph of the export.</param>
    /// <param name="graph">The graph being built.</param>
    /// <param name="sequenceLength">New tokens per run (static).</param>
    /// <param name="maxLength">Slots of the KV buffer and rows of the rotary tables.</param>
    /// <param name="onLayerDone">Called after each layer with its index, for progress.</param>
    /// <param name="cancellationToken">Checked between layers.</param>
    public static void Build(Qwen2Config config, WeightWriter weights, InitializerCache shared, GraphBuilder graph,
        int sequenceLength, int maxLength, Action<int>? onLayerDone, CancellationToken cancellationToken)
    {
        if (config.HeadDim % 2 != 0)
            throw new NotSupportedException($"head_dim {config.HeadDim} is odd; rotary embedding pairs halves of each head.");
        if (config.NumAttentionHeads % config.NumKeyValueHeads != 0)
            throw new NotSupportedException(
                $"num_attention_heads {config.NumAttentionHeads} is not a multiple of num_key_value_heads {config.NumKeyValueHeads}.");
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        new Qwen2CoreMLGraph(config, weights, shared, graph, sequenceLength, maxLength).Build(onLayerDone, cancellationToken);
    }

    private int KvHeads => _config.NumKeyValueHeads;
    private int Heads => _config.NumAttentionHeads;
    private int HeadDim => _config.HeadDim;
    private int Groups => Heads / KvHeads;

    private void Build(Action<int>? onLayerDone, CancellationToken cancellationToken)
    {
        int layers = _config.NumHiddenLayers;
        _g.Input(DecoderIoNames.InputIds, OnnxDataType.Int64, 1, _s);
        _g.Input(DecoderIoNames.PositionIds, OnnxDataType.Int64, 1, _s);
        _g.Input(DecoderIoNames.AttentionBias, _t, 1, 1, _s, _maxLength + _s);
        for (int i = 0; i < layers; i++)
        {
            _g.Input(DecoderIoNames.PastKey(i), _t, 1, KvHeads, _maxLength, HeadDim);
            _g.Input(DecoderIoNames.PastValue(i), _t, 1, KvHeads, _maxLength, HeadDim);
        }
        // A prefill chunk only needs the logits of its last real token (the host says which row): projecting one
        // row onto the vocabulary instead of S saves about a quarter of a 0.5B model's prefill compute.
        bool oneRow = _s > 1;
        if (oneRow) _g.Input(DecoderIoNames.LogitsIndex, OnnxDataType.Int64, 1);
        _g.Output(DecoderIoNames.Logits, OnnxDataType.Float, 1, 1, _config.VocabSize);
        for (int i = 0; i < layers; i++)
        {
            _g.Output(DecoderIoNames.PresentKey(i), _t, 1, KvHeads, _s, HeadDim);
            _g.Output(DecoderIoNames.PresentValue(i), _t, 1, KvHeads, _s, HeadDim);
        }

        var embedding = Weight(N.Embedding, () => _weights.WriteAsIs(N.Embedding, N.Embedding));
        var hidden = _g.Op("Gather", "/model/embed_tokens/Gather", [embedding, DecoderIoNames.InputIds]);
        var (cos, sin) = RotaryRows();
        var bias = AttentionBias();

        string residual = hidden;
        for (int i = 0; i < layers; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string prefix = $"/model/layers.{i}";
            var normed = RmsNorm($"{prefix}/input_layernorm", residual, N.Layer(i, "input_layernorm.weight"));
            var attention = Attention(i, prefix, normed, cos, sin, bias);
            residual = _g.Op("Add", $"{prefix}/residual_add_0", [residual, attention]);
            normed = RmsNorm($"{prefix}/post_attention_layernorm", residual, N.Layer(i, "post_attention_layernorm.weight"));
            var mlp = Mlp(i, prefix, normed);
            residual = _g.Op("Add", $"{prefix}/residual_add_1", [residual, mlp]);
            onLayerDone?.Invoke(i);
        }
        if (oneRow)
            residual = _g.Op("Gather", "/model/logits_row/Gather", [residual, DecoderIoNames.LogitsIndex], attributes: Attr.Int("axis", 1));
        LmHead(RmsNorm("/model/norm", residual, N.FinalNorm), embedding);
    }

    private string Weight(string name, Func<Onnx.Schema.TensorProto> write) => _shared.Get(_g, name, write);

    /// <summary>cos and signed sin rows of the new positions, [1, 1, S, head_dim], shared by every layer.</summary>
    private (string Cos, string Sin) RotaryRows()
    {
        int half = HeadDim / 2;
        // Computed at most once per graph, and not at all when another graph of the export already wrote both tables.
        (float[] Cos, float[] Sin)? tables = null;
        (float[] Cos, float[] Sin) Tables() => tables ??= RotaryTables.Compute(_maxLength, HeadDim, _config.RopeTheta);
        var cosTable = Weight("rotary_cos_full", () =>
            _weights.WriteValues("rotary_cos_full", [_maxLength, HeadDim], Widen(Tables().Cos, half, negateFirstHalf: false)));
        var sinTable = Weight("rotary_sin_signed", () =>
            _weights.WriteValues("rotary_sin_signed", [_maxLength, HeadDim], Widen(Tables().Sin, half, negateFirstHalf: true)));
        long[] rowShape = [1, 1, _s, HeadDim];
        var cosRows = _g.Op("Gather", "/model/rotary/cos/Gather", [cosTable, DecoderIoNames.PositionIds]);
        var sinRows = _g.Op("Gather", "/model/rotary/sin/Gather", [sinTable, DecoderIoNames.PositionIds]);
        return (_g.Op("Reshape", "/model/rotary/cos/Reshape", [cosRows, _g.ConstantInt64("/model/rotary/row_shape", rowShape)]),
                _g.Op("Reshape", "/model/rotary/sin/Reshape", [sinRows, _g.ConstantInt64("/model/rotary/row_shape", rowShape)]));
    }

    /// <summary>
    /// [positions, half] → [positions, 2·half]: both halves of a head use the same angle. With
    /// <paramref name="negateFirstHalf"/> the first half is −sin, which turns rotate_half(x)·sin into
    /// concat(x₂, x₁)·sin' exactly (negation is exact in every float format).
    /// </summary>
    private static float[] Widen(float[] table, int half, bool negateFirstHalf)
    {
        int positions = table.Length / half;
        var wide = new float[(long)positions * half * 2];
        for (int p = 0; p < positions; p++)
        {
            var row = table.AsSpan(p * half, half);
            var first = wide.AsSpan(p * half * 2, half);
            row.CopyTo(first);
            if (negateFirstHalf) foreach (ref var v in first) v = -v;
            row.CopyTo(wide.AsSpan(p * half * 2 + half, half));
        }
        return wide;
    }

    /// <summary>
    /// The host's mask [1, 1, S, max+S] repeated for the query heads of a group: Q rows are ordered
    /// (group member, position), so the mask is tiled along the row axis. Shared by every layer.
    /// </summary>
    private string AttentionBias() => Groups == 1
        ? DecoderIoNames.AttentionBias
        : _g.Op("Tile", "/model/attn_bias/Tile", [DecoderIoNames.AttentionBias, _g.ConstantInt64("/model/attn_bias/repeats", 1, 1, Groups, 1)]);

    private string Attention(int layer, string prefix, string input, string cos, string sin, string bias)
    {
        string Projection(string proj)
        {
            var product = Linear($"{prefix}/attn/{proj}", input, N.Layer(layer, $"self_attn.{proj}.weight"));
            if (!_config.HasAttentionBias) return product;
            var b = Weight(N.Layer(layer, $"self_attn.{proj}.bias"), () => _weights.WriteAsIs(N.Layer(layer, $"self_attn.{proj}.bias"), N.Layer(layer, $"self_attn.{proj}.bias")));
            return _g.Op("Add", $"{prefix}/attn/{proj}/Add", [product, b]);
        }
        string Heads4D(string name, string x, int heads)
        {
            var split = _g.Op("Reshape", $"{name}/Reshape", [x, _g.ConstantInt64($"{name}/shape", 1, _s, heads, HeadDim)]);
            return _g.Op("Transpose", $"{name}/Transpose", [split], attributes: Attr.Ints("perm", 0, 2, 1, 3));
        }

        // Qwen3 normalizes every query and key head (over head_dim, the last axis here) before the rotary embedding.
        string HeadNorm(string name, string heads, string suffix) =>
            _config.HasQkNorm ? RmsNorm(name, heads, N.Layer(layer, suffix)) : heads;

        var qHeads = HeadNorm($"{prefix}/attn/q_norm", Heads4D($"{prefix}/attn/q_heads", Projection("q_proj"), Heads), N.QNorm);
        var kHeads = HeadNorm($"{prefix}/attn/k_norm", Heads4D($"{prefix}/attn/k_heads", Projection("k_proj"), KvHeads), N.KNorm);
        var q = Rotary($"{prefix}/attn/q_rotary", qHeads, cos, sin, output: null);
        var k = Rotary($"{prefix}/attn/k_rotary", kHeads, cos, sin, output: DecoderIoNames.PresentKey(layer));
        var vProjected = _g.Op("Reshape", $"{prefix}/attn/v_heads/Reshape", [Projection("v_proj"), _g.ConstantInt64($"{prefix}/attn/v_heads/shape", 1, _s, KvHeads, HeadDim)]);
        var v = _g.Node("Transpose", [vProjected], [DecoderIoNames.PresentValue(layer)], name: $"{prefix}/attn/v_heads/Transpose",
            attributes: Attr.Ints("perm", 0, 2, 1, 3))[0];

        // Scaling Q before the product (rather than the scores after) keeps fp16 scores small.
        var scaled = _g.Op("Mul", $"{prefix}/attn/q_scale", [q, ScalarT($"{prefix}/attn/scale", 1.0 / Math.Sqrt(HeadDim))]);
        var grouped = _g.Op("Reshape", $"{prefix}/attn/q_grouped", [scaled, _g.ConstantInt64($"{prefix}/attn/q_grouped/shape", 1, KvHeads, Groups * _s, HeadDim)]);
        var keys = _g.Op("Concat", $"{prefix}/attn/keys", [DecoderIoNames.PastKey(layer), k], attributes: Attr.Int("axis", 2));
        var values = _g.Op("Concat", $"{prefix}/attn/values", [DecoderIoNames.PastValue(layer), v], attributes: Attr.Int("axis", 2));
        var keysT = _g.Op("Transpose", $"{prefix}/attn/keys_t", [keys], attributes: Attr.Ints("perm", 0, 1, 3, 2));
        var scores = _g.Op("MatMul", $"{prefix}/attn/scores", [grouped, keysT]);
        var masked = _g.Op("Add", $"{prefix}/attn/mask_add", [scores, bias]);
        var probs = _g.Op("Softmax", $"{prefix}/attn/Softmax", [masked], attributes: Attr.Int("axis", -1));
        var context = _g.Op("MatMul", $"{prefix}/attn/context", [probs, values]);
        var perHead = _g.Op("Reshape", $"{prefix}/attn/context_heads", [context, _g.ConstantInt64($"{prefix}/attn/context_heads/shape", 1, Heads, _s, HeadDim)]);
        var perToken = _g.Op("Transpose", $"{prefix}/attn/context_t", [perHead], attributes: Attr.Ints("perm", 0, 2, 1, 3));
        var merged = _g.Op("Reshape", $"{prefix}/attn/context_merged", [perToken, _g.ConstantInt64($"{prefix}/attn/context_merged/shape", 1, _s, Heads * HeadDim)]);
        return Linear($"{prefix}/attn/o_proj", merged, N.Layer(layer, "self_attn.o_proj.weight"));
    }

    /// <summary>x·cos + concat(x₂, x₁)·sin' for x [1, heads, S, head_dim] (sin' carries rotate_half's sign).</summary>
    private string Rotary(string name, string x, string cos, string sin, string? output)
    {
        int half = HeadDim / 2;
        var halves = _g.Node("Split", [x, _g.ConstantInt64($"{name}/split", half, half)], [$"{name}/x1", $"{name}/x2"],
            name: $"{name}/Split", attributes: Attr.Int("axis", -1));
        var swapped = _g.Op("Concat", $"{name}/Concat", [halves[1], halves[0]], attributes: Attr.Int("axis", -1));
        var a = _g.Op("Mul", $"{name}/MulCos", [x, cos]);
        var b = _g.Op("Mul", $"{name}/MulSin", [swapped, sin]);
        return output is null
            ? _g.Op("Add", $"{name}/Add", [a, b])
            : _g.Node("Add", [a, b], [output], name: $"{name}/Add")[0];
    }

    private string Mlp(int layer, string prefix, string input) => SwiGluMlp.Build(_g, layer, prefix, input, Linear);

    private string Linear(string name, string input, string weightName) =>
        _g.Op("MatMul", $"{name}/MatMul", [input, Weight(weightName, () => _weights.WriteTransposed(weightName, weightName))]);

    /// <summary>
    /// RMSNorm as transformers computes it: in fp32, x / sqrt(mean(x²) + eps), then cast back and scaled by the
    /// weight. Div rather than Reciprocal: Core ML's inverse adds 1e-4 to its input.
    /// </summary>
    private string RmsNorm(string name, string x, string weightName)
    {
        string wide = _t == OnnxDataType.Float ? x
            : _g.Op("Cast", $"{name}/Cast", [x], attributes: Attr.Int("to", (long)OnnxDataType.Float));
        var square = _g.Op("Mul", $"{name}/Square", [wide, wide]);
        var mean = _g.Op("ReduceMean", $"{name}/ReduceMean", [square, _g.ConstantInt64($"{name}/axes", -1)], attributes: Attr.Int("keepdims", 1));
        var eps = _g.Inline($"{name}/epsilon", OnnxDataType.Float, [], MemoryMarshal.AsBytes(new[] { (float)_config.RmsNormEps }.AsSpan()));
        var variance = _g.Op("Add", $"{name}/AddEps", [mean, eps]);
        var rms = _g.Op("Sqrt", $"{name}/Sqrt", [variance]);
        var normalized = _g.Op("Div", $"{name}/Div", [wide, rms]);
        string narrow = _t == OnnxDataType.Float ? normalized
            : _g.Op("Cast", $"{name}/Cast_1", [normalized], attributes: Attr.Int("to", (long)_t));
        var weight = Weight(weightName, () => _weights.WriteAsIs(weightName, weightName));
        return _g.Op("Mul", $"{name}/MulWeight", [narrow, weight]);
    }

    /// <summary>logits = hidden · Wᵀ by Gemm(transB=1) on the (tied) table itself, [1, hidden] → [1, 1, vocab] float32.</summary>
    private void LmHead(string hidden, string embedding)
    {
        var flat = _g.Op("Reshape", "/lm_head/Reshape", [hidden, _g.ConstantInt64("/lm_head/flat_shape", 1, _config.HiddenSize)]);
        string weight = _config.TieWordEmbeddings ? embedding : Weight(N.LmHead, () => _weights.WriteAsIs(N.LmHead, N.LmHead));
        var gemm = _g.Op("Gemm", "/lm_head/Gemm", [flat, weight], attributes: Attr.Int("transB", 1));
        LogitsOutput.Emit(_g, gemm, _g.ConstantInt64("/lm_head/logits_shape", 1, 1, _config.VocabSize), _t);
    }

    /// <summary>A scalar constant in the activation type.</summary>
    private string ScalarT(string name, double value) => _t == OnnxDataType.Float
        ? _g.Inline(name, OnnxDataType.Float, [], MemoryMarshal.AsBytes(new[] { (float)value }.AsSpan()))
        : _g.Inline(name, OnnxDataType.Float16, [], MemoryMarshal.AsBytes(new[] { (Half)value }.AsSpan()));
}
