namespace OnnxLlm.Hub;

/// <summary>Progress of a pull: resolving, downloading (per file), exporting.</summary>
/// <param name="Stage">"resolving", "downloading", "exporting" or "done".</param>
/// <param name="File">The file being downloaded, when downloading.</param>
/// <param name="BytesDone">Bytes of that file so far.</param>
/// <param name="BytesTotal">Its size, when known.</param>
public readonly record struct PullProgress(string Stage, string? File = null, long BytesDone = 0, long? BytesTotal = null);
