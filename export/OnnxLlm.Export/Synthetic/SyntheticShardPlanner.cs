namespace OnnxLlm.Export.Synthetic;

/// <summary>Splits tensors into shards the way Hugging Face's <c>split_torch_state_dict_into_shards</c> does.</summary>
internal static class SyntheticShardPlanner
{
    /// <summary>Groups <paramref name="tensors"/>, kept in order, into shards of at most <paramref name="maxShardBytes"/> (a lone oversized tensor excepted).</summary>
    public static List<List<SyntheticTensorSpec>> Plan(IReadOnlyList<SyntheticTensorSpec> tensors, long? maxShardBytes)
    {
        var shards = new List<List<SyntheticTensorSpec>>();
        if (maxShardBytes is null)
        {
            shards.Add([.. tensors]);
            return shards;
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes.Value, nameof(maxShardBytes));
        var current = new List<SyntheticTensorSpec>();
        long currentBytes = 0;
        foreach (var tensor in tensors)
        {
            long bytes = SyntheticCheckpointWriter.BytesOf(tensor);
            if (current.Count > 0 && currentBytes + bytes > maxShardBytes.Value)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(tensor);
            currentBytes += bytes;
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);
        return shards;
    }
}
