namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// The weights of a Hugging Face model folder: either a single <c>model.safetensors</c> or the shards listed by
/// <c>model.safetensors.index.json</c>, presented as one set of tensors. All files are memory-mapped and validated
/// on open.
/// </summary>
/// <remarks>
/// Spans returned by <see cref="GetBytes"/> are valid only until <see cref="Dispose"/>. The mappings are read-only,
/// so reads from several threads at once are safe (an exporter converts tensors in parallel).
/// </remarks>
internal sealed class SafetensorsCheckpoint : IDisposable
{
    /// <summary>File name of a single-file checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    private readonly SafetensorsFile[] _files;
    private readonly Dictionary<string, (SafetensorsTensorInfo Info, SafetensorsFile File)> _tensors;

    private SafetensorsCheckpoint(
        string directory,
        SafetensorsFile[] files,
        Dictionary<string, (SafetensorsTensorInfo, SafetensorsFile)> tensors,
        IReadOnlyDictionary<string, string> metadata,
        SafetensorsIndex? index)
    {
        Directory = directory;
        _files = files;
        _tensors = tensors;
        Metadata = metadata;
        Index = index;
        Tensors = tensors.ToDictionary(pair => pair.Key, pair => pair.Value.Item1, StringComparer.Ordinal);
    }

    /// <summary>Full path of the model folder.</summary>
    public string Directory { get; }

    /// <summary>Every tensor across all shards, by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The index's <c>metadata</c> for a sharded checkpoint, else the file's <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The shard index, or <see langword="null"/> for a single-file checkpoint.</summary>
    public SafetensorsIndex? Index { get; }

    /// <summary>Full paths of the safetensors files, in the order they were opened.</summary>
    public IReadOnlyList<string> FilePaths => _files.Select(f => f.FilePath).ToArray();

    /// <summary>
    /// Opens the weights in <paramref name="directory"/>: <c>model.safetensors</c> if present (as transformers
    /// prefers it), otherwise <c>model.safetensors.index.json</c> and its shards.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither weights file.</exception>
    /// <exception cref="SafetensorsFormatException">A file or the index is malformed, a shard is missing, or the index and shards disagree.</exception>
    public static SafetensorsCheckpoint Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string fullDirectory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(fullDirectory))
            throw new DirectoryNotFoundException($"Checkpoint folder not found: {fullDirectory}");

        string single = Path.Combine(fullDirectory, SingleFileName);
        if (File.Exists(single))
        {
            var file = SafetensorsFile.Open(single);
            var tensors = file.Tensors.ToDictionary(
                pair => pair.Key, pair => (pair.Value, file), StringComparer.Ordinal);
            return new SafetensorsCheckpoint(fullDirectory, [file], tensors, file.Metadata, index: null);
        }

        string indexPath = Path.Combine(fullDirectory, SafetensorsIndex.FileName);
        if (!File.Exists(indexPath))
            throw new FileNotFoundException(
                $"No {SingleFileName} or {SafetensorsIndex.FileName} in {fullDirectory}.", single);
        return OpenSharded(fullDirectory, SafetensorsIndex.Load(indexPath));
    }

    private static SafetensorsCheckpoint OpenSharded(string directory, SafetensorsIndex index)
    {
        // Check every shard exists before mapping any, so the error names the missing file rather than a symptom.
        var shardNames = index.WeightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        foreach (string shard in shardNames)
        {
            if (!File.Exists(Path.Combine(directory, shard)))
            {
                string tensor = index.WeightMap.First(pair => pair.Value == shard).Key;
                throw new SafetensorsFormatException(index.FilePath, tensor,
                    $"shard '{shard}' listed in weight_map does not exist in {directory}.");
            }
        }

        var files = new List<SafetensorsFile>();
        try
        {
            var tensors = new Dictionary<string, (SafetensorsTensorInfo, SafetensorsFile)>(StringComparer.Ordinal);
            var byShardName = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
            foreach (string shard in shardNames)
            {
                var file = SafetensorsFile.Open(Path.Combine(directory, shard));
                files.Add(file);
                byShardName.Add(shard, file);
                foreach (var (name, info) in file.Tensors)
                {
                    // Tensors a shard holds beyond weight_map are kept (transformers loads them too), but never twice.
                    if (!tensors.TryAdd(name, (info, file)))
                        throw new SafetensorsFormatException(file.FilePath, name,
                            $"the tensor is also in shard {Path.GetFileName(tensors[name].Item1.FilePath)}.");
                }
            }
            foreach (var (name, shard) in index.WeightMap)
            {
                if (!byShardName[shard].Contains(name))
                    throw new SafetensorsFormatException(index.FilePath, name,
                        $"weight_map places the tensor in shard '{shard}', which does not contain it.");
            }
            return new SafetensorsCheckpoint(directory, files.ToArray(), tensors, index.Metadata, index);
        }
        catch
        {
            foreach (var file in files) file.Dispose();
            throw;
        }
    }

    /// <summary>Whether the checkpoint has a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names it and the folder.</exception>
    public SafetensorsTensorInfo Get(string name) => Find(name).Info;

    /// <summary>Looks up a tensor without throwing.</summary>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out SafetensorsTensorInfo info)
    {
        bool found = _tensors.TryGetValue(name, out var entry);
        info = entry.Info;
        return found;
    }

    /// <summary>The raw little-endian bytes of a tensor: a span over the memory mapping, no copy.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor is larger than a span can address (2 GiB).</exception>
    /// <exception cref="ObjectDisposedException">The checkpoint was disposed.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        var (info, file) = Find(name);
        return file.GetBytes(info);
    }

    /// <summary>Decodes a tensor into float32; BF16 and F16 widen exactly.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="destination">Exactly <see cref="SafetensorsTensorInfo.ElementCount"/> values.</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    public void ReadAsFloat32(string name, Span<float> destination)
    {
        var (info, file) = Find(name);
        SafetensorsConversions.ToFloat32(file.GetBytes(info), info.DType, destination);
    }

    /// <summary>Unmaps every file.</summary>
    public void Dispose()
    {
        foreach (var file in _files) file.Dispose();
    }

    private (SafetensorsTensorInfo Info, SafetensorsFile File) Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _tensors.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"Tensor '{name}' is not in the checkpoint at {Directory}.");
    }
}
