namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Linear-time (expected) threshold finding for top-k and top-p, by three-way quickselect instead of a full sort.
/// </summary>
/// <remarks>
/// Both methods return a <i>value</i>; the kept set is then "every candidate ≥ that value". Defining the result as a
/// threshold makes ties deterministic (all tied tokens are kept, like Hugging Face top-k) and makes the outcome
/// independent of the order in which quickselect happens to shuffle the scratch buffer. Both methods scramble
/// <c>scratch</c>, which must therefore be a copy.
/// </remarks>
internal static class ThresholdSelection
{
    /// <summary><see cref="DenseNucleusThreshold"/> bisects until at most this many weights lie between its bounds.</summary>
    public const int BracketLimit = 2_048;

    /// <summary>
    /// The k-th largest value (1-based, counting duplicates), i.e. <c>torch.topk(x, k).values[-1]</c>.
    /// Requires 1 ≤ <paramref name="k"/> ≤ scratch length.
    /// </summary>
    public static float KthLargest(Span<float> scratch, int k)
    {
        int lo = 0, hi = scratch.Length;
        int need = k;
        while (true)
        {
            float pivot = Partition(scratch, lo, hi, out int lt, out int gt, out _, out _);
            int greater = lt - lo;
            int equal = gt - lt;
            if (greater >= need)
            {
                hi = lt;
            }
            else if (greater + equal >= need)
            {
                return pivot;
            }
            else
            {
                need -= greater + equal;
                lo = gt;
            }
        }
    }

    /// <summary>
    /// Nucleus (top-p) threshold over non-negative weights: the largest value <c>v</c> such that the mass of the
    /// entries strictly greater than <c>v</c> is below <paramref name="targetMass"/>. Keeping every entry ≥ <c>v</c>
    /// gives the smallest top set whose mass reaches the target (ties with the boundary entry included).
    /// Same rule as Hugging Face's <c>TopPLogitsWarper</c> (a token is kept iff the mass ranked above it is &lt; p).
    /// If rounding leaves the whole set short of the target, everything is kept.
    /// </summary>
    /// <param name="scratch">Candidate weights (non-empty); scrambled.</param>
    /// <param name="targetMass">p × total mass of the distribution.</param>
    /// <param name="massAbove">
    /// Mass of entries outside <paramref name="scratch"/> that rank above all of it (already known to be kept);
    /// must be below <paramref name="targetMass"/>.
    /// </param>
    public static float NucleusThreshold(Span<float> scratch, double targetMass, double massAbove = 0)
    {
        int lo = 0, hi = scratch.Length;
        double above = massAbove; // mass of entries already known to rank above [lo, hi); always < targetMass
        if (!(targetMass > 0))
        {
            // p = 0: only the most likely token(s) survive (min_tokens_to_keep = 1).
            return KthLargest(scratch, 1);
        }

        while (true)
        {
            float pivot = Partition(scratch, lo, hi, out int lt, out int gt, out double greaterMass, out double equalMass);
            if (above + greaterMass >= targetMass)
            {
                // The boundary lies strictly above the pivot. [lo, lt) is non-empty: greaterMass > 0 because above < target.
                hi = lt;
            }
            else if (above + greaterMass + equalMass >= targetMass || gt == hi)
            {
                return pivot;
            }
            else
            {
                above += greaterMass + equalMass;
                lo = gt;
            }
        }
    }

    /// <summary>
    /// Top-p threshold (combined with a min-p floor) over a dense row of weights in [0, 1], for nuclei too wide for
    /// a candidate list: bisect the weight value while keeping <c>mass(≥ low) ≥ target &gt; mass(≥ high)</c>, with
    /// vectorised passes, until at most <see cref="BracketLimit"/> weights lie between the bounds; then quickselect
    /// exactly among those. Returns <c>max(nucleus threshold, minP)</c>.
    /// </summary>
    /// <param name="weights">Softmax weights, the largest exactly 1.</param>
    /// <param name="targetMass">p × total weight.</param>
    /// <param name="minP">Min-p floor (0 = none).</param>
    /// <param name="massAtMinP">Total weight ≥ <paramref name="minP"/>.</param>
    /// <param name="scratch">Scratch as long as <paramref name="weights"/>.</param>
    public static float DenseNucleusThreshold(
        ReadOnlySpan<float> weights, double targetMass, float minP, double massAtMinP, Span<float> scratch)
    {
        if (!(targetMass > 0))
        {
            return 1f; // p = 0: only the most likely token(s), whose weight is exactly 1
        }

        if (minP > 0f && massAtMinP < targetMass)
        {
            return minP; // the nucleus is wider than min-p allows
        }

        // Start the lower bound at 2^-30 when that already holds the target mass (it does unless p is within ~1e-4
        // of 1), so the bisection doesn't spend its first passes descending through irrelevant binades.
        float low = MathF.Max(minP, 1f / (1 << 30));
        if (ThresholdScan.SumAtLeast(weights, low, out int countLow) < targetMass)
        {
            low = minP;
            ThresholdScan.SumAtLeast(weights, low, out countLow);
        }

        float high = MathF.BitIncrement(1f);
        double massHigh = 0;
        int countHigh = 0;
        for (int i = 0; i < 40 && countLow - countHigh > BracketLimit; i++)
        {
            // Midpoint of the bit patterns: positive floats order like their bits, so this is a geometric mean
            // across binades and an arithmetic one within a binade — it converges for any spread of weights.
            float mid = BitConverter.Int32BitsToSingle(
                (int)(((long)BitConverter.SingleToInt32Bits(low) + BitConverter.SingleToInt32Bits(high)) / 2));
            if (mid <= low || mid >= high)
            {
                break;
            }

            double mass = ThresholdScan.SumAtLeast(weights, mid, out int count);
            if (mass >= targetMass)
            {
                (low, countLow) = (mid, count);
            }
            else
            {
                (high, massHigh, countHigh) = (mid, mass, count);
            }
        }

        int between = ThresholdScan.GatherInRange(weights, low, high, scratch);
        float nucleus = between == 0 ? high : NucleusThreshold(scratch[..between], targetMass, massHigh);
        return MathF.Max(nucleus, minP);
    }

    /// <summary>
    /// Three-way partition of [lo, hi) in descending order around a median-of-three pivot:
    /// [lo, lt) &gt; pivot, [lt, gt) == pivot, [gt, hi) &lt; pivot. Also returns the sums of the first two groups.
    /// </summary>
    private static float Partition(
        Span<float> a, int lo, int hi, out int lt, out int gt, out double greaterMass, out double equalMass)
    {
        float pivot = MedianOfThree(a[lo], a[lo + ((hi - lo) >> 1)], a[hi - 1]);
        int i = lo;
        int last = hi - 1;
        lt = lo;
        greaterMass = 0;
        equalMass = 0;
        while (i <= last)
        {
            float v = a[i];
            if (v > pivot)
            {
                a[i] = a[lt];
                a[lt] = v;
                lt++;
                i++;
                greaterMass += v;
            }
            else if (v < pivot)
            {
                a[i] = a[last];
                a[last] = v;
                last--;
            }
            else
            {
                i++;
                equalMass += v;
            }
        }

        gt = last + 1;
        return pivot;
    }

    private static float MedianOfThree(float a, float b, float c) =>
        a < b
            ? (b < c ? b : (a < c ? c : a))
            : (a < c ? a : (b < c ? c : b));
}
