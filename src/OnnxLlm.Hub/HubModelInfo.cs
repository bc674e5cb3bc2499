namespace OnnxLlm.Hub;

/// <summary>A repository resolved to one commit, with its files.</summary>
/// <param name="Repository">The repository.</param>
/// <param name="CommitSha">The commit the revision points to.</param>
/// <param name="Files">Every file at that commit.</param>
internal sealed record HubModelInfo(string Repository, string CommitSha, IReadOnlyList<HubFile> Files);
