using N = OnnxLlm.Export.Qwen2.Qwen2TensorNames;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;
using OnnxLlm.Export.Quantization;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Qwen2;

/// <summary>
/// Builds the <c>cpu</c>-target Qwen2 decoder the way ONNX Runtime GenAI's model builder does: fused
/// GroupQueryAttention (rotary inside, KV cache [batch, kv_heads, max_len, head_dim] that past and present
/// may share), SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization, MatMul on pre-transposed
/// weights. One decoder layer reads, in order: RMSNorm → q/k/v projection (+bias; one packed product for Qwen2,
/// three for Qwen3, whose per-head q/k RMSNorm follows) → GQA → o_proj → residual add + RMSNorm → SiLU-gated MLP → residual add.
/// </summary>
internal sealed class Qwen2CpuGraph
{
    private readonly Qwen2Config _config;
    private readonly WeightWriter _weights;
    private readonly GraphBuilder _g;
    private readonly int _maxLength;
    private readonly QuantizedLinearWriter? _quantized;
    private readonly bool _packQkv;

    /// <summary>The most slices a head is cut into (see <see cref="HeadRowSlices"/>).</summary>
    internal const int MaxHeadSlices = 32;

    private Qwen2CpuGraph(Qwen2Config config, WeightWriter weights, GraphBuilder graph, int maxLength, QuantizedLinearWriter? quantized, bool packQkv)
    {
        _packQkv = packQkv;
        _config = config;
        _weights = weights;
        _g = graph;
        _maxLength = maxLength;
        _quantized = quantized;
    }

    /// <summary>Adds the whole decoder to <paramref name="graph"/>, streaming weights through <paramref name="weights"/>.</summary>
    /// <param name="config">The checkpoint's architecture.</param>
    /// <param name="weights">Converts and writes each weight to the external data file.</param>
    /// <param name="graph">The graph being built.</param>
    /// <param name="maxLength">Rows of the rotary tables: the longest sequence the model will run.</param>
    /// <param name="onLayerDone">Called after each layer with its index, for progress.</param>
    /// <param name="cancellationToken">Checked between layers.</param>
    /// <param name="quantized">When set (int4 / int8), decoder Linears become MatMulNBits nodes written by it.</param>
    /// <param name="packQkv">One packed q/k/v projection per layer (<see cref="PackedProjections"/>); the weights must
    /// then read through <see cref="PackedProjections.Over"/>.</param>
    public static void Build(Qwen2Config config, WeightWriter weights, GraphBuilder graph, int maxLength,
        Action<int>? onLayerDone, CancellationToken cancellationToken, QuantizedLinearWriter? quantized = null, bool packQkv = false)
    {
        if (packQkv && !PackedProjections.PacksQkv(config))
            throw new ArgumentException("q/k/v cannot be packed for this architecture (Qwen3 normalizes q and k apart).", nameof(packQkv));
        if (config.HeadDim % 16 != 0)
            throw new NotSupportedException(
                $"head_dim {config.HeadDim} is not a multiple of 16, which ONNX Runtime's GroupQueryAttention needs for its fused rotary embedding (cpu target).");
        new Qwen2CpuGraph(config, weights, graph, maxLength, quantized, packQkv).Build(onLayerDone, cancellationToken);
    }

    private void Build(Action<int>? onLayerDone, CancellationToken cancellationToken)
    {
        var t = _weights.DataType;
        int layers = _config.NumHiddenLayers, kvHeads = _config.NumKeyValueHeads, headDim = _config.HeadDim;

        _g.Input(DecoderIoNames.InputIds, OnnxDataType.Int64, "batch_size", "sequence_length");
        _g.Input(DecoderIoNames.AttentionMask, OnnxDataType.Int64, "batch_size", "total_sequence_length");
        for (int i = 0; i < layers; i++)
        {
            _g.Input(DecoderIoNames.PastKey(i), t, "batch_size", kvHeads, "past_sequence_length", headDim);
            _g.Input(DecoderIoNames.PastValue(i), t, "batch_size", kvHeads, "past_sequence_length", headDim);
        }
        // Logits of the last new position only ([batch, 1, vocab]): generation samples from nothing else, and the head
        // is the largest matrix, so a prompt of S tokens runs it on one row instead of S (see LmHead).
        _g.Output(DecoderIoNames.Logits, OnnxDataType.Float, "batch_size", 1, _config.VocabSize);
        for (int i = 0; i < layers; i++)
        {
            _g.Output(DecoderIoNames.PresentKey(i), t, "batch_size", kvHeads, "total_sequence_length", headDim);
            _g.Output(DecoderIoNames.PresentValue(i), t, "batch_size", kvHeads, "total_sequence_length", headDim);
        }

        var (seqlensK, totalLength) = AttentionLengths();
        var (cosCache, sinCache) = RotaryCaches();

        var (hidden, embedding) = Embedding();

        // The residual stream is carried through SkipSimplifiedLayerNormalization's 4th output
        // (input + skip), so each layer's residual add and the following norm are one fused op.
        string residual = hidden;
        string normed = _g.Op("SimplifiedLayerNormalization", "/model/layers.0/input_layernorm/LayerNorm",
            [hidden, _g.Initializer(_weights.WriteAsIs(N.Layer(0, "input_layernorm.weight"), N.Layer(0, "input_layernorm.weight")))],
            attributes: [Attr.Int("axis", -1), Attr.Float("epsilon", (float)_config.RmsNormEps), Attr.Int("stash_type", 1)]);

        for (int i = 0; i < layers; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string prefix = $"/model/layers.{i}";
            string attention = Attention(i, prefix, normed, seqlensK, totalLength, cosCache, sinCache);
            (normed, residual) = SkipNorm($"{prefix}/post_attention_layernorm", attention, residual, N.Layer(i, "post_attention_layernorm.weight"));
            string mlp = Mlp(i, prefix, normed);
            string nextNorm = i + 1 < layers ? N.Layer(i + 1, "input_layernorm.weight") : N.FinalNorm;
            string nextName = i + 1 < layers ? $"/model/layers.{i + 1}/input_layernorm" : "/model/norm";
            (normed, residual) = SkipNorm(nextName, mlp, residual, nextNorm);
            onLayerDone?.Invoke(i);
        }

        LmHead(normed, embedding);
    }

    /// <summary>
    /// hidden = embed_tokens[input_ids]. The int precisions store the table block-quantized (GatherBlockQuantized), the
    /// largest saving of an int export (Qwen2.5-0.5B: 545 MB of fp32 table → 85 MB at int4); a tied quantized head then
    /// reads the rows of the very same bytes. The table stays float only when it is also a float head (tied, head not
    /// quantized). Returns the float table for that head, else null.
    /// </summary>
    private (string Hidden, TensorProto? FloatTable) Embedding()
    {
        bool floatHeadReadsTable = _config.TieWordEmbeddings && _quantized is not { QuantizeLmHead: true };
        if (_quantized is not null && !floatHeadReadsTable)
            return (_quantized.EmitGather(_g, "/model/embed_tokens/GatherBlockQuantized", DecoderIoNames.InputIds, N.Embedding), null);
        var table = _weights.WriteAsIs(N.Embedding, N.Embedding);
        return (_g.Op("Gather", "/model/embed_tokens/Gather", [_g.Initializer(table), DecoderIoNames.InputIds]), table);
    }

    /// <summary>seqlens_k (int32 [batch], tokens so far − 1) and total_sequence_length (int32 scalar) for GQA.</summary>
    private (string SeqlensK, string TotalLength) AttentionLengths()
    {
        var axes = _g.ConstantInt64("/model/attn_mask_reformat/axes", 1);
        var tokens = _g.Op("ReduceSum", "/model/attn_mask_reformat/ReduceSum", [DecoderIoNames.AttentionMask, axes],
            attributes: Attr.Int("keepdims", 0));
        var minusOne = _g.Op("Sub", "/model/attn_mask_reformat/Sub", [tokens, _g.ScalarInt64("/model/one", 1)]);
        var seqlensK = _g.Op("Cast", "/model/attn_mask_reformat/seqlens_k", [minusOne], attributes: Attr.Int("to", (long)OnnxDataType.Int32));
        // The total length is the longest row's token count rather than the mask's width, so a caller may
        // pass a fixed-width mask (ones then zeros) and bind it once for a whole generation; GenAI-style
        // callers, whose masks are exactly as wide as the sequence, get the same number.
        var longest = _g.Op("ReduceMax", "/model/attn_mask_reformat/ReduceMax", [tokens], attributes: Attr.Int("keepdims", 0));
        var total = _g.Op("Cast", "/model/attn_mask_reformat/total_seq_len", [longest], attributes: Attr.Int("to", (long)OnnxDataType.Int32));
        return (seqlensK, total);
    }

    private (string Cos, string Sin) RotaryCaches()
    {
        var (cos, sin) = RotaryTables.Compute(_maxLength, _config.HeadDim, _config.RopeTheta);
        long[] dims = [_maxLength, _config.HeadDim / 2];
        return (_g.Initializer(_weights.WriteValues("cos_cache", dims, cos)),
                _g.Initializer(_weights.WriteValues("sin_cache", dims, sin)));
    }

    private string Attention(int layer, string prefix, string input, string seqlensK, string totalLength, string cos, string sin)
    {
        string[] qkv = _packQkv
            ? [Linear($"{prefix}/attn/qkv_proj", input, PackedProjections.QkvWeight(layer), _config.HasAttentionBias ? PackedProjections.QkvBias(layer) : null), "", ""]
            : [.. UnpackedQkv(layer, prefix, input)];
        var outputs = _g.Node("GroupQueryAttention",
            [qkv[0], qkv[1], qkv[2], DecoderIoNames.PastKey(layer), DecoderIoNames.PastValue(layer), seqlensK, totalLength, cos, sin],
            [$"{prefix}/attn/GroupQueryAttention/output_0", DecoderIoNames.PresentKey(layer), DecoderIoNames.PresentValue(layer)],
            name: $"{prefix}/attn/GroupQueryAttention", domain: GraphBuilder.MicrosoftDomain,
            Attr.Int("num_heads", _config.NumAttentionHeads), Attr.Int("kv_num_heads", _config.NumKeyValueHeads),
            Attr.Int("do_rotary", 1), Attr.Int("rotary_interleaved", 0), Attr.Int("local_window_size", -1));
        return Linear($"{prefix}/attn/o_proj", outputs[0], N.Layer(layer, "self_attn.o_proj.weight"));
    }

    /// <summary>q, k and v as three projections, for architectures that work on them apart before GQA (Qwen3's norms).</summary>
    private IEnumerable<string> UnpackedQkv(int layer, string prefix, string input)
    {
        string Projection(string proj) => Linear($"{prefix}/attn/{proj}", input, N.Layer(layer, $"self_attn.{proj}.weight"),
            _config.HasAttentionBias ? N.Layer(layer, $"self_attn.{proj}.bias") : null);
        var q = Projection("q_proj");
        var k = Projection("k_proj");
        var v = Projection("v_proj");
        if (_config.HasQkNorm)
        {
            // Qwen3 normalizes each head before the rotary embedding, which GQA applies inside: so the norm runs here.
            q = HeadNorm($"{prefix}/attn/q_norm", q, N.Layer(layer, N.QNorm));
            k = HeadNorm($"{prefix}/attn/k_norm", k, N.Layer(layer, N.KNorm));
        }
        return [q, k, v];
    }

    /// <summary>
    /// RMSNorm of every head of a projection [batch, S, heads·head_dim] with one [head_dim] weight, as GenAI's builder
    /// does it: Reshape to [batch, S, heads, head_dim] → SimplifiedLayerNormalization over the last axis → Reshape back.
    /// </summary>
    private string HeadNorm(string name, string projection, string weightName)
    {
        var perHead = _g.Op("Reshape", $"{name}/Reshape", [projection, _g.ConstantInt64($"{name}/heads_shape", 0, 0, -1, _config.HeadDim)]);
        var normed = _g.Op("SimplifiedLayerNormalization", $"{name}/LayerNorm",
            [perHead, _g.Initializer(_weights.WriteAsIs(weightName, weightName))],
            attributes: [Attr.Int("axis", -1), Attr.Float("epsilon", (float)_config.RmsNormEps), Attr.Int("stash_type", 1)]);
        return _g.Op("Reshape", $"{name}/Reshape_1", [normed, _g.ConstantInt64($"{name}/merged_shape", 0, 0, -1)]);
    }

    private string Mlp(int layer, string prefix, string input) => SwiGluMlp.Build(_g, layer, prefix, input, Linear);

    /// <summary>
    /// x · Wᵀ for checkpoint weight W [out, in]: MatMul on a pre-transposed float copy, or MatMulNBits on the
    /// quantized weight (which keeps the checkpoint's row order) for the int precisions.
    /// </summary>
    private string Linear(string name, string input, string weightName) => Linear(name, input, weightName, biasName: null);

    /// <summary>x · Wᵀ + b: MatMul then Add, or MatMulNBits with its bias input.</summary>
    private string Linear(string name, string input, string weightName, string? biasName)
    {
        string? bias = biasName is null ? null : _g.Initializer(_weights.WriteAsIs(biasName, biasName));
        if (_quantized is not null) return _quantized.Emit(_g, $"{name}/MatMulNBits", input, weightName, bias: bias);
        var product = _g.Op("MatMul", $"{name}/MatMul", [input, _g.Initializer(_weights.WriteTransposed(weightName, weightName))]);
        return bias is null ? product : _g.Op("Add", $"{name}/Add", [product, bias]);
    }

    /// <summary>
    /// The head's rows cut into contiguous slices (at most <see cref="MaxHeadSlices"/>). Each slice is its own initializer
    /// over the bytes already in the file, so ONNX Runtime maps, converts and prepacks the head one slice at a time and
    /// drops each slice's mapping once packed. As one tensor, a tied head kept the whole table mapped and resident next
    /// to its packed copy (0.5B fp32: 519 MiB), and loading overlapped the head's stored, converted and packed copies
    /// at once (fp16: 3.9–5.5 layers above the steady state). A float slice is held twice while it is packed (its fp32
    /// form and the packed copy), so it is half a layer's weights; a quantized slice is one layer's, which measured
    /// within one layer of the steady state, and fewer MatMulNBits launches keep int4 decode fast. See
    /// docs/performance.md.
    /// </summary>
    private List<(int Start, int End)> HeadRowSlices()
    {
        long headWeights = (long)_config.VocabSize * _config.HiddenSize;
        // One layer's Linear weights, counted from the checkpoint layout rather than a formula of our own.
        long layerWeights = SyntheticCheckpointLayout.GetTensors(_config)
            .Where(t => t.Kind is SyntheticTensorKind.Linear or SyntheticTensorKind.ResidualProjection && t.Name.StartsWith(N.Layer(0, ""), StringComparison.Ordinal))
            .Sum(t => t.ElementCount);
        long sliceWeights = _quantized is { QuantizeLmHead: true } ? layerWeights : layerWeights / 2;
        // Capped: a toy model's layer is tiny, and 32 slices already bound the overlap to a 32nd of the head.
        int slices = (int)Math.Clamp((headWeights + sliceWeights - 1) / sliceWeights, 1, MaxHeadSlices);
        int rows = (_config.VocabSize + slices - 1) / slices;
        var ranges = new List<(int Start, int End)>();
        for (int start = 0; start < _config.VocabSize; start += rows)
            ranges.Add((start, Math.Min(_config.VocabSize, start + rows)));
        return ranges;
    }

    /// <summary>residual' = input + residual; returns (RMSNorm(residual') × weight, residual').</summary>
    private (string Normed, string Residual) SkipNorm(string name, string input, string residual, string weightName)
    {
        var weight = _g.Initializer(_weights.WriteAsIs(weightName, weightName));
        var outputs = _g.Node("SkipSimplifiedLayerNormalization", [input, residual, weight],
            [$"{name}/output_0", "", "", $"{name}/output_3"], name: name, domain: GraphBuilder.MicrosoftDomain,
            Attr.Float("epsilon", (float)_config.RmsNormEps));
        return (outputs[0], outputs[3]);
    }

    /// <summary>
    /// logits = hidden[:, -1] · Wᵀ, one Gemm(transB=1) or MatMulNBits per slice of the head's rows
    /// (<see cref="HeadRowSlices"/>), concatenated. A tied head reads the embedding table's own bytes, so the table is
    /// stored once. Only the last position goes through the head: in prefill that skips (S − 1) × vocab × hidden
    /// multiply-adds and an [S, vocab] float output.
    /// </summary>
    private void LmHead(string hidden, TensorProto? floatTable)
    {
        var last = _g.Op("Slice", "/lm_head/LastPosition", [hidden, _g.ConstantInt64("/lm_head/last_start", -1),
            _g.ConstantInt64("/lm_head/last_end", long.MaxValue), _g.ConstantInt64("/lm_head/last_axis", 1)]);
        var flat = _g.Op("Reshape", "/lm_head/Reshape", [last, _g.ConstantInt64("/lm_head/flat_shape", -1, _config.HiddenSize)]);
        var rows = HeadRowSlices();
        IReadOnlyList<string> products;
        if (_quantized is { QuantizeLmHead: true })
        {
            // A tied head reads the rows of the table's quantized initializers written for the embedding lookup.
            products = _quantized.EmitRowSlices(_g, "/lm_head/MatMulNBits", flat, _config.TieWordEmbeddings ? N.Embedding : N.LmHead,
                rows, N.LmHeadRows, isLmHead: true);
        }
        else
        {
            // An untied head is written whole but joins the graph only through its slices.
            var weights = _config.TieWordEmbeddings ? floatTable! : _weights.WriteAsIs(N.LmHead, N.LmHead);
            products = rows.Select((r, i) => _g.Op("Gemm", $"/lm_head/Gemm_{i}",
                [flat, _g.Initializer(_weights.AliasRows(weights, N.LmHeadRows(r.Start, r.End), r.Start, r.End))],
                attributes: Attr.Int("transB", 1))).ToList();
        }
        string logits = products.Count == 1 ? products[0] : _g.Op("Concat", "/lm_head/Concat", products, attributes: Attr.Int("axis", 1));
        LogitsOutput.Emit(_g, logits, _g.ConstantInt64("/lm_head/logits_shape", -1, 1, _config.VocabSize), _weights.DataType);
    }
}
