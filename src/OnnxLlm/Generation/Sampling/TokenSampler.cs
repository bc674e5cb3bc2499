using System.Numerics.Tensors;

namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Chooses the next token from a logits row, applying <see cref="SamplingOptions"/> exactly as Hugging Face
/// transformers' logits processors do: repetition penalty → presence/frequency penalties → temperature → top-k →
/// top-p → min-p → softmax → draw from a seeded pseudo-random generator.
/// </summary>
/// <remarks>
/// <para>
/// Create one sampler per generation (or reuse one through <see cref="Reset"/>). Per decode step call
/// <see cref="Sample"/> with the step's logits, then <see cref="Accept"/> with the token that is actually appended
/// to the sequence (normally the sampled one; the split lets the engine force tokens and keep penalties right).
/// </para>
/// <para>
/// Cost model: every buffer is allocated up front (vocabulary-sized, and only those the options need), so steady-state
/// calls allocate nothing. No step sorts the vocabulary: top-k and top-p narrow the row with vectorised threshold
/// scans, then run a linear-time quickselect on the short candidate list; when a flat distribution puts most of
/// the vocabulary in the nucleus, a vectorised bisection on the probability threshold replaces the candidate list.
/// Typical cost over 151,936 logits: tens of µs greedy or with top-k, ~100 µs for full-row softmax paths,
/// a few hundred µs for the flat-nucleus worst case (see SamplerPerformanceTests).
/// </para>
/// <para>
/// Reproducibility: with a fixed <see cref="SamplingOptions.Seed"/> and identical logits the output is identical on
/// every run; the random stream itself (xoshiro256**) is identical on every platform and .NET version. Bit-identical
/// logits across different hardware are the model runtime's business, not ours; vectorised float rounding here can
/// differ across instruction sets only for draws that land within ~1e-7 of a probability boundary.
/// </para>
/// <para>Not thread-safe: one sampler belongs to one generation loop.</para>
/// </remarks>
internal sealed class TokenSampler
{
    // Top-k pre-filter: try "logit ≥ max - offset" for growing offsets until at least k tokens qualify, so the
    // exact selection runs on a short list. Past the last offset every token is a candidate.
    private static ReadOnlySpan<float> TopKLogitOffsets => [4f, 8f, 16f, 32f, 64f];

    // Top-p pre-filter on exp-shifted weights (most likely token = 1): tokens at least this likely relative to the
    // top one are gathered while the weights are computed. On typical LLM rows they already hold the nucleus.
    private const float TopPFirstFloor = 1f / 1024;

    // Above this many gathered candidates (flat distributions, high temperature) top-p switches to a bisection on
    // the weight threshold over the dense row, which costs a few vectorised passes instead of a scalar quickselect
    // over most of the vocabulary.
    private const int CandidateLimit = 16_384;

    private readonly bool _greedy;
    private readonly float _inverseTemperature;
    private readonly int _topK;       // 0 = off (also when k >= vocab)
    private readonly float _topP;     // 1 = off
    private readonly float _minP;     // 0 = off
    private readonly PenaltyState? _penalties;

    // Candidate list (token ids + values, ascending id order) and a scratch copy for quickselect.
    private readonly int[]? _candidateIds;
    private readonly float[]? _candidateValues;
    private readonly float[]? _selectionScratch;
    private readonly double[]? _blockSums;

    private Xoshiro256StarStar _random;
    private int _generated;

    /// <summary>Creates a sampler for one generation.</summary>
    /// <param name="options">Sampling options (already validated by <see cref="SamplingOptions"/>).</param>
    /// <param name="vocabSize">Length of every logits row (the model's output dimension, e.g. 151,936 for Qwen2.5).</param>
    /// <param name="promptTokenIds">Prompt token ids; only <see cref="SamplingOptions.RepetitionPenalty"/> uses them.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="vocabSize"/> ≤ 0, or a prompt id is outside the vocabulary.</exception>
    public TokenSampler(SamplingOptions options, int vocabSize, ReadOnlySpan<int> promptTokenIds = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        Options = options;
        VocabSize = vocabSize;

        _greedy = options.IsGreedy;
        _inverseTemperature = _greedy ? 1f : 1f / options.Temperature;
        _topK = options.TopK is int k && k > 0 && k < vocabSize ? k : 0;
        _topP = options.TopP ?? 1f;
        _minP = options.MinP ?? 0f;
        _penalties = options.HasPenalties ? new PenaltyState(options, vocabSize) : null;

        if (!_greedy)
        {
            _blockSums = new double[CategoricalDraw.BlockCount(vocabSize)];
            if (_topK > 0 || _topP < 1f)
            {
                _candidateIds = new int[vocabSize];
                _candidateValues = new float[vocabSize];
                _selectionScratch = new float[vocabSize];
            }
        }

        Reset(promptTokenIds);
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Required length of every logits row.</summary>
    public int VocabSize { get; }

    /// <summary>
    /// The seed in use: <see cref="SamplingOptions.Seed"/> if set, otherwise the random one drawn at construction
    /// (or at the last <see cref="Reset"/>). Log it to replay a generation.
    /// </summary>
    public long Seed { get; private set; }

    /// <summary>Number of tokens recorded through <see cref="Accept"/> since construction or <see cref="Reset"/>.</summary>
    public int GeneratedCount => _generated;

    /// <summary>
    /// Chooses the next token. <paramref name="logits"/> is used as scratch space: on return its contents are
    /// unspecified (penalised, possibly exponentiated), so pass a row you no longer need.
    /// Does not record the token; call <see cref="Accept"/> for that.
    /// </summary>
    /// <returns>The chosen token id in [0, <see cref="VocabSize"/>).</returns>
    /// <exception cref="ArgumentException"><paramref name="logits"/> is not <see cref="VocabSize"/> long.</exception>
    /// <exception cref="InvalidLogitsException">
    /// The row contains NaN or +∞, or is all −∞. <see cref="InvalidLogitsException.Step"/> is <see cref="GeneratedCount"/>.
    /// </exception>
    public int Sample(Span<float> logits)
    {
        if (logits.Length != VocabSize)
        {
            throw new ArgumentException(
                $"Expected a logits row of {VocabSize} elements but got {logits.Length}.", nameof(logits));
        }

        // Penalties first (they only rescale finite values and leave NaN/±inf recognisable), then one pass that
        // both validates the row and finds the maximum every path below needs.
        _penalties?.Apply(logits);
        float max = LogitsGuard.ValidateAndGetMax(logits, _generated);

        // Greedy: the first index holding the maximum, i.e. ties go to the lowest token id.
        return _greedy ? VectorKernels.IndexOfFirst(logits, max) : SampleStochastic(logits, max);
    }

    /// <summary>Records a token appended to the sequence, for the penalties, and advances the step counter.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokenId"/> is outside the vocabulary.</exception>
    public void Accept(int tokenId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tokenId, VocabSize);
        _penalties?.Accept(tokenId);
        _generated++;
    }

    /// <summary>
    /// Starts a new generation with the same options, reusing every buffer: clears the token history (in
    /// O(distinct tokens seen)), records the new prompt, and re-seeds — with <see cref="SamplingOptions.Seed"/> when
    /// set, so a reset sampler replays exactly, otherwise with a fresh random seed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A prompt id is outside the vocabulary.</exception>
    public void Reset(ReadOnlySpan<int> promptTokenIds = default)
    {
        foreach (int id in promptTokenIds)
        {
            if ((uint)id >= (uint)VocabSize)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(promptTokenIds), id, $"Prompt token id {id} is outside the vocabulary [0, {VocabSize}).");
            }
        }

        _penalties?.Reset(promptTokenIds);
        _generated = 0;
        Seed = Options.Seed ?? Xoshiro256StarStar.CreateRandomSeed();
        _random = new Xoshiro256StarStar(Seed);
    }

    /// <summary>Applies only the penalties, in place. Exposed to tests to check the adjusted logits exactly.</summary>
    internal void ApplyPenalties(Span<float> logits) => _penalties?.Apply(logits);

    private int SampleStochastic(Span<float> logits, float max)
    {
        // One uniform per sampled token, drawn first, so the random stream never depends on the data path taken.
        double uniform = _random.NextDouble();

        if (_topK > 0)
        {
            // Top-k works on raw logits (temperature is monotonic, so it doesn't change the set); only the short
            // list is exponentiated.
            int count = GatherTopK(logits, max);
            Span<float> weights = _candidateValues.AsSpan(0, count);
            VectorKernels.ShiftScale(weights, -max, _inverseTemperature);
            TensorPrimitives.Exp(weights, weights);
            return DrawCandidates(count, VectorKernels.Sum(weights), uniform);
        }

        // No top-k: the whole row is needed for the softmax normaliser. weight = exp((logit - max) / T) ∈ [0, 1],
        // with the most likely token exactly 1, so min-p is simply "weight ≥ MinP".
        bool topP = _topP < 1f;
        float floor = MathF.Max(TopPFirstFloor, _minP);
        double total = ToWeights(logits, max, gatherFloor: topP ? floor : float.NaN, out double eligible, out int gathered);
        if (!topP)
        {
            return CategoricalDraw.FromDense(logits, _minP, uniform, _blockSums, eligible);
        }

        // The nucleus lies inside any top set whose mass already reaches p. If the gathered set falls short at the
        // min-p floor, the nucleus is wider than min-p allows and min-p decides, so the set is final either way.
        double target = _topP * total;
        if (gathered <= CandidateLimit &&
            (floor == _minP || VectorKernels.Sum(_candidateValues.AsSpan(0, gathered)) >= target))
        {
            return DrawCandidates(gathered, total, uniform);
        }

        float threshold = ThresholdSelection.DenseNucleusThreshold(logits, target, _minP, eligible, _selectionScratch);
        double kept = CategoricalDraw.SumBlocksAtLeast(logits, threshold, _blockSums);
        return CategoricalDraw.FromDense(logits, threshold, uniform, _blockSums, kept);
    }

    /// <summary>
    /// Turns the row into softmax weights in place, <c>exp((logit - max) / T)</c>, one L1-sized block at a time so
    /// shift, exp, sums and candidate gathering all hit cache instead of streaming the row several times.
    /// Returns the total weight; <paramref name="eligible"/> is the weight at or above min-p, whose per-block sums
    /// land in <see cref="_blockSums"/>. Unless <paramref name="gatherFloor"/> is NaN, weights ≥ it are gathered as
    /// candidates (gathering stops once more than <see cref="CandidateLimit"/> are found).
    /// </summary>
    private double ToWeights(Span<float> row, float max, float gatherFloor, out double eligible, out int gathered)
    {
        double total = 0;
        eligible = 0;
        gathered = 0;
        bool gather = !float.IsNaN(gatherFloor);
        for (int start = 0, block = 0; start < row.Length; start += CategoricalDraw.DenseBlock, block++)
        {
            Span<float> chunk = row.Slice(start, Math.Min(CategoricalDraw.DenseBlock, row.Length - start));
            VectorKernels.ShiftScale(chunk, -max, _inverseTemperature);
            TensorPrimitives.Exp(chunk, chunk);

            double sum = VectorKernels.Sum(chunk);
            double blockSum = _minP > 0f ? ThresholdScan.SumAtLeast(chunk, _minP, out _) : sum;
            _blockSums![block] = blockSum;
            total += sum;
            eligible += blockSum;

            if (gather && gathered <= CandidateLimit)
            {
                gathered += ThresholdScan.GatherAtLeast(
                    chunk, gatherFloor, _candidateIds.AsSpan(gathered), _candidateValues.AsSpan(gathered), start);
            }
        }

        return total;
    }

    /// <summary>Applies top-p (relative to <paramref name="nucleusBaseMass"/>) and min-p to the candidates, then draws.</summary>
    private int DrawCandidates(int count, double nucleusBaseMass, double uniform)
    {
        Span<int> ids = _candidateIds.AsSpan(0, count);
        Span<float> weights = _candidateValues.AsSpan(0, count);
        float threshold = _minP;
        if (_topP < 1f)
        {
            Span<float> scratch = _selectionScratch.AsSpan(0, count);
            weights.CopyTo(scratch);
            threshold = MathF.Max(threshold, ThresholdSelection.NucleusThreshold(scratch, _topP * nucleusBaseMass));
        }

        return CategoricalDraw.FromCandidates(ids, weights, threshold, uniform);
    }

    /// <summary>
    /// Fills the candidate list with every token whose logit is ≥ the k-th largest (ties included, as HF does),
    /// in ascending id order, and returns the count.
    /// </summary>
    private int GatherTopK(ReadOnlySpan<float> logits, float max)
    {
        float floor = float.NegativeInfinity;
        foreach (float offset in TopKLogitOffsets)
        {
            if (ThresholdScan.CountAtLeast(logits, max - offset) >= _topK)
            {
                floor = max - offset;
                break;
            }
        }

        int count = ThresholdScan.GatherAtLeast(logits, floor, _candidateIds, _candidateValues);
        if (count > _topK)
        {
            Span<float> scratch = _selectionScratch.AsSpan(0, count);
            _candidateValues.AsSpan(0, count).CopyTo(scratch);
            float kth = ThresholdSelection.KthLargest(scratch, _topK);
            count = ThresholdScan.CompactAtLeast(_candidateIds.AsSpan(0, count), _candidateValues.AsSpan(0, count), kth);
        }

        return count;
    }

}
