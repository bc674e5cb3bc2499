namespace OnnxLlm.Hub;

/// <summary>A file of a Hub repository at one commit.</summary>
/// <param name="Path">Path within the repository.</param>
/// <param name="Size">Size in bytes, when the Hub reported it.</param>
/// <param name="Sha256">SHA-256 of an LFS file's content, when known.</param>
internal sealed record HubFile(string Path, long? Size, string? Sha256);
