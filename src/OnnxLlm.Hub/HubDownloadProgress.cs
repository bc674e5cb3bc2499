namespace OnnxLlm.Hub;

/// <summary>Progress of one file's download.</summary>
/// <param name="File">Path within the repository.</param>
/// <param name="BytesDone">Bytes on disk so far (including a resumed part).</param>
/// <param name="BytesTotal">Total bytes, when known.</param>
internal readonly record struct HubDownloadProgress(string File, long BytesDone, long? BytesTotal);
