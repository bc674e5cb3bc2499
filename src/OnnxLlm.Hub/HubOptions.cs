namespace OnnxLlm.Hub;

/// <summary>
/// Where and how models are pulled. Defaults follow the Hugging Face conventions: <c>HF_ENDPOINT</c> (a
/// mirror), <c>HF_TOKEN</c> (gated models), <c>HF_HUB_OFFLINE</c> (no network); HTTP(S) proxies come from
/// the standard environment variables through .NET's default proxy.
/// </summary>
public sealed class HubOptions
{
    /// <summary>The Hub (or mirror) base address.</summary>
    public Uri Endpoint { get; set; } = new("https://huggingface.co");

    /// <summary>Access token sent as a Bearer token to the Hub (never to the file host it redirects to).</summary>
    public string? Token { get; set; }

    /// <summary>Never touch the network; only cached models can be used.</summary>
    public bool Offline { get; set; }

    /// <summary>Cache root; checkpoints and exported folders live below it.</summary>
    public string CacheDirectory { get; set; } = DefaultCacheDirectory();

    /// <summary>Files downloaded at once (shards of large models download in parallel).</summary>
    public int MaxParallelDownloads { get; set; } = 4;

    /// <summary>Attempts per file before giving up on transient failures (each resumes where the last stopped).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; doubles on each further one.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Options from the environment (HF_ENDPOINT, HF_TOKEN / HUGGING_FACE_HUB_TOKEN, HF_HUB_OFFLINE, ONNXLLM_CACHE).</summary>
    public static HubOptions FromEnvironment()
    {
        var options = new HubOptions();
        if (Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } endpoint)
            options.Endpoint = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri
                : throw new ArgumentException($"HF_ENDPOINT '{endpoint}' is not an absolute URL.");
        options.Token = Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } token ? token
            : Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN") is { Length: > 0 } legacy ? legacy : null;
        options.Offline = Environment.GetEnvironmentVariable("HF_HUB_OFFLINE") is "1" or "true" or "TRUE" or "True" or "yes";
        return options;
    }

    private static string DefaultCacheDirectory()
    {
        if (Environment.GetEnvironmentVariable("ONNXLLM_CACHE") is { Length: > 0 } explicitRoot) return explicitRoot;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "onnxllm");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return OperatingSystem.IsWindows()
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "onnxllm", "cache")
            : Path.Combine(home, ".cache", "onnxllm");
    }
}
