using System.Text.Json;

namespace OnnxLlm.Hub;

/// <summary>
/// The on-disk cache of pulled models:
/// <c>checkpoints/owner--name/COMMIT/</c> (Hugging Face files), <c>exports/owner--name/COMMIT/PRECISION-TARGET/</c>
/// (model folders), <c>refs/owner--name/REVISION</c> (the commit a revision last resolved to, for offline use)
/// and <c>locks/</c>. A folder counts as complete only when its manifest (written last) lists files that are
/// all present with their recorded sizes; anything else is partial or damaged and is redone, never used.
/// </summary>
public sealed class ModelCache
{
    private const string ManifestName = ".onnxllm-complete.json";

    /// <summary>Creates a cache rooted at <paramref name="root"/>.</summary>
    public ModelCache(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>Where the Hugging Face files of a commit go.</summary>
    internal string CheckpointDirectory(string repository, string commit) => Path.Combine(Root, "checkpoints", Folder(repository), commit);

    /// <summary>Where the exported model folder of a commit goes.</summary>
    internal string ExportDirectory(string repository, string commit, string variant) => Path.Combine(Root, "exports", Folder(repository), commit, variant);

    /// <summary>The commit <paramref name="id"/>'s revision resolved to last time, or null.</summary>
    internal string? TryResolveRevision(HubModelId id)
    {
        string path = RefPath(id);
        return File.Exists(path) ? File.ReadAllText(path).Trim() is { Length: > 0 } commit ? commit : null : null;
    }

    /// <summary>Records the commit a revision resolved to.</summary>
    internal void RecordRevision(HubModelId id, string commit)
    {
        string path = RefPath(id);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(temp, commit);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Whether <paramref name="directory"/> holds a complete, undamaged entry.</summary>
    internal static bool IsComplete(string directory)
    {
        string manifest = Path.Combine(directory, ManifestName);
        if (!File.Exists(manifest)) return false;
        try
        {
            var files = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(manifest));
            return files is { Count: > 0 } && files.All(f =>
            {
                var info = new FileInfo(Path.Combine(directory, f.Key));
                return info.Exists && info.Length == f.Value;
            });
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Marks a finished folder complete by writing its manifest (file names and sizes) last.</summary>
    internal static void MarkComplete(string directory)
    {
        var files = new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.Name != ManifestName && !f.Name.EndsWith(".incomplete", StringComparison.Ordinal))
            .ToDictionary(f => Path.GetRelativePath(directory, f.FullName).Replace('\\', '/'), f => f.Length);
        string temp = Path.Combine(directory, ManifestName + ".tmp");
        File.WriteAllText(temp, JsonSerializer.Serialize(files));
        File.Move(temp, Path.Combine(directory, ManifestName), overwrite: true);
    }

    /// <summary>
    /// Takes the repository's lock (a file held open exclusively, so it also works across processes); waits
    /// while another pull of the same model runs.
    /// </summary>
    internal async Task<IDisposable> LockAsync(string repository, CancellationToken cancellationToken)
    {
        string path = Path.Combine(Root, "locks", Folder(repository) + ".lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every cached model.</summary>
    public IReadOnlyList<CacheEntry> List()
    {
        string checkpoints = Path.Combine(Root, "checkpoints"), exports = Path.Combine(Root, "exports");
        var commits = new HashSet<(string Folder, string Commit)>();
        foreach (var root in new[] { checkpoints, exports })
            if (Directory.Exists(root))
                foreach (var repo in Directory.GetDirectories(root))
                    foreach (var commit in Directory.GetDirectories(repo))
                        commits.Add((Path.GetFileName(repo), Path.GetFileName(commit)));
        return commits.OrderBy(c => c.Folder, StringComparer.Ordinal).Select(c =>
        {
            string repository = c.Folder.Replace("--", "/", StringComparison.Ordinal);
            string checkpoint = Path.Combine(checkpoints, c.Folder, c.Commit);
            string exportRoot = Path.Combine(exports, c.Folder, c.Commit);
            var variants = Directory.Exists(exportRoot)
                ? Directory.GetDirectories(exportRoot).Where(IsComplete).ToDictionary(d => Path.GetFileName(d), d => (d, Size(d)))
                : new Dictionary<string, (string, long)>();
            string refs = Path.Combine(Root, "refs", c.Folder);
            var revisions = Directory.Exists(refs)
                ? Directory.GetFiles(refs).Where(f => File.ReadAllText(f).Trim() == c.Commit).Select(f => Uri.UnescapeDataString(Path.GetFileName(f))).ToArray()
                : [];
            return new CacheEntry(repository, c.Commit, revisions, IsComplete(checkpoint) ? Size(checkpoint) : 0, variants);
        }).ToArray();
    }

    /// <summary>Deletes everything cached for a repository; returns whether anything was there.</summary>
    public bool Remove(string repository)
    {
        bool removed = false;
        foreach (var dir in new[] { "checkpoints", "exports", "refs" }.Select(d => Path.Combine(Root, d, Folder(repository))))
        {
            if (!Directory.Exists(dir)) continue;
            Directory.Delete(dir, recursive: true);
            removed = true;
        }
        return removed;
    }

    private string RefPath(HubModelId id) => Path.Combine(Root, "refs", Folder(id.Repository), Uri.EscapeDataString(id.Revision));

    private static string Folder(string repository) => repository.Replace("/", "--", StringComparison.Ordinal);

    private static long Size(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
