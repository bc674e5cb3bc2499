using System.Numerics.Tensors;

namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Chooses each generated token from a row of logits. One sampler serves one generation: it remembers the
/// prompt and the tokens it chose, for the penalties. All buffers are allocated up front, so sampling
/// allocates nothing per token; top-k and top-p never sort the whole vocabulary.
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly int _vocabSize;
    private Xoshiro256StarStar _random;

    // Penalty bookkeeping: touched-id lists keep each step O(distinct tokens), not O(vocabulary).
    private readonly bool[] _seen;            // in prompt or output (repetition penalty)
    private readonly List<int> _seenIds;
    private readonly int[] _outputCounts;     // occurrences in the output (presence/frequency penalties)
    private readonly List<int> _outputIds;

    // Candidate buffers for top-k / top-p / min-p.
    private readonly int[] _candidateIds;
    private readonly float[] _candidateValues;
    private readonly float[] _sortKeys;

    /// <summary>Creates a sampler for one generation.</summary>
    /// <param name="options">Sampling settings (validated here).</param>
    /// <param name="vocabSize">Width of each logits row.</param>
    /// <param name="promptTokens">The prompt, which counts for the repetition penalty.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range, or a prompt id is outside the vocabulary.</exception>
    public TokenSampler(SamplingOptions options, int vocabSize, ReadOnlySpan<int> promptTokens = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 1);
        _options = options;
        _vocabSize = vocabSize;
        _random = options.Seed is long seed ? new Xoshiro256StarStar(unchecked((ulong)seed)) : Xoshiro256StarStar.FromRandomSeed();
        _seen = new bool[vocabSize];
        _seenIds = new List<int>(promptTokens.Length + 256);
        _outputCounts = new int[vocabSize];
        _outputIds = new List<int>(256);
        foreach (int id in promptTokens)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)vocabSize, nameof(promptTokens));
            if (!_seen[id]) { _seen[id] = true; _seenIds.Add(id); }
        }
        int candidates = options.TopK is > 0 and var k ? Math.Min(k, vocabSize) : vocabSize;
        _candidateIds = new int[candidates];
        _candidateValues = new float[candidates];
        _sortKeys = new float[candidates];
    }

    /// <summary>Tokens chosen so far.</summary>
    public int Generated { get; private set; }

    /// <summary>
    /// Chooses the next token from <paramref name="logits"/> (which are modified in place) and records it
    /// for the penalties.
    /// </summary>
    /// <exception cref="ArgumentException">The row is not vocabulary-wide.</exception>
    public int Sample(Span<float> logits)
    {
        if (logits.Length != _vocabSize)
            throw new ArgumentException($"Expected {_vocabSize} logits, got {logits.Length}.", nameof(logits));
        ApplyPenalties(logits);
        int token = _options.IsGreedy ? TensorPrimitives.IndexOfMax(logits) : Draw(logits);
        Record(token);
        return token;
    }

    private void ApplyPenalties(Span<float> logits)
    {
        float repetition = _options.RepetitionPenalty;
        if (repetition != 1f)
        {
            foreach (int id in _seenIds)
                logits[id] = logits[id] > 0 ? logits[id] / repetition : logits[id] * repetition;
        }
        float presence = _options.PresencePenalty, frequency = _options.FrequencyPenalty;
        if (presence != 0f || frequency != 0f)
        {
            foreach (int id in _outputIds)
                logits[id] -= presence + frequency * _outputCounts[id];
        }
    }

    private void Record(int token)
    {
        Generated++;
        if (!_seen[token]) { _seen[token] = true; _seenIds.Add(token); }
        if (_outputCounts[token]++ == 0) _outputIds.Add(token);
    }

    private int Draw(Span<float> logits)
    {
        float inverseTemperature = 1f / _options.Temperature;
        int topK = _options.TopK ?? 0;
        float topP = _options.TopP ?? 1f;
        float minP = _options.MinP ?? 0f;

        if (topK > 0 && topK < _vocabSize)
            return DrawFromCandidates(SelectTopK(logits, topK), inverseTemperature, topP, minP);

        // Softmax over the whole vocabulary, in place: logits become unnormalised probabilities.
        float max = TensorPrimitives.Max(logits);
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Multiply(logits, inverseTemperature, logits);
        TensorPrimitives.Exp(logits, logits);
        float total = TensorPrimitives.Sum(logits);
        if (topP >= 1f && minP <= 0f)
            return DrawFrom(logits, total);
        int count = SelectNucleus(logits, total, topP, minP);
        return DrawFromSorted(count);
    }

    /// <summary>Fills the candidate buffers with the k largest logits (a bounded min-heap: one pass, no full sort).</summary>
    private int SelectTopK(ReadOnlySpan<float> logits, int k)
    {
        var ids = _candidateIds.AsSpan(0, k);
        var values = _candidateValues.AsSpan(0, k);
        int size = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float v = logits[i];
            if (size < k)
            {
                ids[size] = i; values[size] = v; size++;
                SiftUp(ids, values, size - 1);
            }
            else if (v > values[0])
            {
                ids[0] = i; values[0] = v;
                SiftDown(ids, values, size);
            }
        }
        return size;
    }

    private int DrawFromCandidates(int count, float inverseTemperature, float topP, float minP)
    {
        var ids = _candidateIds.AsSpan(0, count);
        var values = _candidateValues.AsSpan(0, count);
        float max = TensorPrimitives.Max(values);
        for (int i = 0; i < count; i++) values[i] = MathF.Exp((values[i] - max) * inverseTemperature);
        SortDescending(ids, values);
        float total = TensorPrimitives.Sum(values);
        return DrawFromSorted(Truncate(values, total, topP, minP));
    }

    /// <summary>
    /// Finds the top-p / min-p set without sorting the vocabulary: every member of the nucleus is at least as
    /// likely as its least likely member, so if the tokens above a threshold already hold ≥ p of the mass, the
    /// nucleus lies among them. The threshold starts high and drops until that holds; only those are sorted.
    /// </summary>
    private int SelectNucleus(ReadOnlySpan<float> probabilities, float total, float topP, float minP)
    {
        float max = TensorPrimitives.Max(probabilities);
        float floor = minP > 0 ? minP * max : 0f;
        float threshold = Math.Max(floor, max * 1e-3f);
        while (true)
        {
            int count = 0;
            float mass = 0;
            for (int i = 0; i < probabilities.Length; i++)
            {
                float p = probabilities[i];
                if (p >= threshold)
                {
                    _candidateIds[count] = i;
                    _candidateValues[count] = p;
                    mass += p;
                    count++;
                }
            }
            if (mass >= topP * total || threshold <= floor || threshold == 0f)
            {
                var values = _candidateValues.AsSpan(0, count);
                SortDescending(_candidateIds.AsSpan(0, count), values);
                return Truncate(values, total, topP, minP);
            }
            threshold = Math.Max(floor, threshold * 1e-3f);
            if (threshold < float.Epsilon) threshold = 0f;
        }
    }

    /// <summary>Length of the sorted prefix that survives top-p (smallest prefix reaching p of the mass) and min-p.</summary>
    private static int Truncate(ReadOnlySpan<float> sortedValues, float total, float topP, float minP)
    {
        int keep = sortedValues.Length;
        if (minP > 0)
        {
            float floor = minP * sortedValues[0];
            keep = 1;
            while (keep < sortedValues.Length && sortedValues[keep] >= floor) keep++;
        }
        if (topP < 1f)
        {
            float target = topP * total, cumulative = 0;
            for (int i = 0; i < keep; i++)
            {
                cumulative += sortedValues[i];
                if (cumulative >= target) return i + 1;
            }
        }
        return Math.Max(keep, 1);
    }

    private int DrawFromSorted(int count)
    {
        var values = _candidateValues.AsSpan(0, count);
        int index = IndexAtCumulative(values, TensorPrimitives.Sum(values));
        return _candidateIds[index];
    }

    private int DrawFrom(ReadOnlySpan<float> probabilities, float total) => IndexAtCumulative(probabilities, total);

    private int IndexAtCumulative(ReadOnlySpan<float> weights, float total)
    {
        double target = _random.NextDouble() * total, cumulative = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] <= 0) continue;
            cumulative += weights[i];
            last = i;
            if (cumulative > target) return i;
        }
        return last; // rounding left the target a hair beyond the sum
    }

    /// <summary>Sorts by value, largest first; equal values keep the lower id first, so results do not depend on sort internals.</summary>
    private void SortDescending(Span<int> ids, Span<float> values)
    {
        var keys = _sortKeys.AsSpan(0, values.Length);
        // Key = -value; ties broken by id through a stable second pass below.
        TensorPrimitives.Negate(values, keys);
        keys.Sort(ids);
        for (int i = 0; i < ids.Length; i++) values[i] = -keys[i];
        int start = 0;
        for (int i = 1; i <= ids.Length; i++)
        {
            if (i < ids.Length && keys[i] == keys[start]) continue;
            if (i - start > 1) ids[start..i].Sort();
            start = i;
        }
    }

    private static void SiftUp(Span<int> ids, Span<float> values, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (!Less(values[i], ids[i], values[parent], ids[parent])) break;
            (values[i], values[parent]) = (values[parent], values[i]);
            (ids[i], ids[parent]) = (ids[parent], ids[i]);
            i = parent;
        }
    }

    private static void SiftDown(Span<int> ids, Span<float> values, int size)
    {
        int i = 0;
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, smallest = i;
            if (left < size && Less(values[left], ids[left], values[smallest], ids[smallest])) smallest = left;
            if (right < size && Less(values[right], ids[right], values[smallest], ids[smallest])) smallest = right;
            if (smallest == i) return;
            (values[i], values[smallest]) = (values[smallest], values[i]);
            (ids[i], ids[smallest]) = (ids[smallest], ids[i]);
            i = smallest;
        }
    }

    /// <summary>Heap order: the root is the weakest candidate (lowest value; among equals, the highest id).</summary>
    private static bool Less(float a, int idA, float b, int idB) => a < b || (a == b && idA > idB);
}
