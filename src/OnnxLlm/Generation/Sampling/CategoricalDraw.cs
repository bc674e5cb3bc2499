namespace OnnxLlm.Generation.Sampling;

/// <summary>
/// Inverse-CDF draws from unnormalised, non-negative weights (exp-shifted logits), scanning in ascending token id.
/// </summary>
/// <remarks>
/// The scan order is part of the reproducibility contract: given the same weights and the same uniform number the
/// same token comes out, whatever internal shuffling the selection steps did. A zero weight can never be chosen:
/// the running sum only crosses the target on a token that adds positive mass.
/// </remarks>
internal static class CategoricalDraw
{
    /// <summary>Block length for <see cref="FromDense"/>; vocab rows are summed per block to skip most of the scan.</summary>
    public const int DenseBlock = 4096;

    /// <summary>Number of block sums <see cref="FromDense"/> needs for a row of <paramref name="length"/>.</summary>
    public static int BlockCount(int length) => (length + DenseBlock - 1) / DenseBlock;

    /// <summary>
    /// Draws among the candidates whose weight is ≥ <paramref name="threshold"/> (the others are excluded),
    /// with probability proportional to weight. <paramref name="uniform"/> is in [0, 1).
    /// </summary>
    public static int FromCandidates(ReadOnlySpan<int> ids, ReadOnlySpan<float> weights, float threshold, double uniform)
    {
        double total = 0;
        foreach (float w in weights)
        {
            if (w >= threshold)
            {
                total += w;
            }
        }

        double target = uniform * total;
        double cumulative = 0;
        int fallback = -1;
        for (int i = 0; i < weights.Length; i++)
        {
            float w = weights[i];
            if (w >= threshold && w > 0)
            {
                cumulative += w;
                fallback = ids[i];
                if (cumulative > target)
                {
                    return ids[i];
                }
            }
        }

        // Unreachable unless rounding leaves target == total; then the last positive candidate is the right answer.
        return fallback;
    }

    /// <summary>
    /// Draws over a whole vocabulary row among the weights ≥ <paramref name="threshold"/> (0 = all), with
    /// probability proportional to weight. <paramref name="blockSums"/> holds, per <see cref="DenseBlock"/>-long
    /// block, the sum of the weights ≥ threshold and <paramref name="total"/> their sum, so the scalar walk touches
    /// one block instead of 151,936 entries.
    /// </summary>
    public static int FromDense(
        ReadOnlySpan<float> weights, float threshold, double uniform, ReadOnlySpan<double> blockSums, double total)
    {
        int blocks = BlockCount(weights.Length);
        double target = uniform * total;
        double cumulative = 0;
        int block = 0;
        while (block < blocks - 1 && cumulative + blockSums[block] <= target)
        {
            cumulative += blockSums[block];
            block++;
        }

        // Walk from the chosen block; if rounding between the vectorised block sum and this scalar walk makes the
        // block come up short, the walk simply continues into the next blocks.
        int fallback = -1;
        for (int i = block * DenseBlock; i < weights.Length; i++)
        {
            float w = weights[i];
            if (w >= threshold && w > 0)
            {
                cumulative += w;
                fallback = i;
                if (cumulative > target)
                {
                    return i;
                }
            }
        }

        if (fallback >= 0)
        {
            return fallback;
        }

        // Nothing eligible from the chosen block on (only possible through rounding): take the last eligible one before it.
        for (int i = (block * DenseBlock) - 1; i >= 0; i--)
        {
            if (weights[i] >= threshold && weights[i] > 0)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>Fills <paramref name="blockSums"/> with the per-block sums of the weights ≥ threshold; returns their total.</summary>
    public static double SumBlocksAtLeast(ReadOnlySpan<float> weights, float threshold, Span<double> blockSums)
    {
        double total = 0;
        for (int start = 0, block = 0; start < weights.Length; start += DenseBlock, block++)
        {
            ReadOnlySpan<float> chunk = weights.Slice(start, Math.Min(DenseBlock, weights.Length - start));
            blockSums[block] = ThresholdScan.SumAtLeast(chunk, threshold, out _);
            total += blockSums[block];
        }

        return total;
    }
}
