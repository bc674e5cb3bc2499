namespace OnnxLlm.Hub;

/// <summary>A cached model: one repository at one commit, with its exported folders.</summary>
/// <param name="Repository">The repository.</param>
/// <param name="CommitSha">The commit.</param>
/// <param name="Revisions">Revisions known to point at this commit.</param>
/// <param name="CheckpointBytes">Size of the downloaded checkpoint (0 if removed after export).</param>
/// <param name="Exports">Exported variants ("fp16-cpu", ...) with their folder and size.</param>
public sealed record CacheEntry(string Repository, string CommitSha, IReadOnlyList<string> Revisions, long CheckpointBytes,
    IReadOnlyDictionary<string, (string Directory, long Bytes)> Exports);
