namespace OnnxLlm.Export.Synthetic;

/// <summary>How <see cref="SyntheticCheckpointWriter"/> lays out the folder it writes.</summary>
public sealed record SyntheticCheckpointOptions
{
    /// <summary>
    /// Largest shard size in tensor bytes, or <see langword="null"/> for a single <c>model.safetensors</c>. When set,
    /// shards are filled in module order as transformers does (a tensor starts a new shard when it would overflow the
    /// current one; a tensor bigger than the limit gets a shard of its own), so one layer can span shards. If
    /// everything fits in one shard a single <c>model.safetensors</c> is written, again as transformers does.
    /// </summary>
    public long? MaxShardBytes { get; init; }

    /// <summary>A <c>generation_config.json</c> to copy byte for byte; null writes the spec's default.</summary>
    public string? GenerationConfigPath { get; init; }

    /// <summary>Replace an existing folder at the output path (otherwise that is an error).</summary>
    public bool Overwrite { get; init; }
}
