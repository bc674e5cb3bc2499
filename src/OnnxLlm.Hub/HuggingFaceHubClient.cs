using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace OnnxLlm.Hub;

/// <summary>
/// Talks to the Hugging Face Hub's HTTP API (or a mirror): resolves a revision to a commit with its file
/// list, and downloads files with resume of partial files, retries with backoff, and verification of size
/// and checksum (SHA-256 for LFS files from the Hub's ETag, git blob SHA-1 for small files).
/// </summary>
internal sealed class HuggingFaceHubClient : IDisposable
{
    private const int MaxRedirects = 5;
    private readonly HttpClient _http;
    private readonly HubOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates a client; <paramref name="handler"/> replaces the network stack (tests, custom proxies).</summary>
    public HuggingFaceHubClient(HubOptions options, HttpMessageHandler? handler = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        // Redirects are followed by hand: the Hub's first response carries the checksum headers
        // (X-Linked-Etag) and the token must not follow the redirect to the file host.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("onnxllm", typeof(HuggingFaceHubClient).Assembly.GetName().Version?.ToString() ?? "0"));
    }

    /// <summary>Resolves <paramref name="id"/>'s revision to a commit and lists its files.</summary>
    /// <exception cref="HubModelNotFoundException">No such repository or revision.</exception>
    /// <exception cref="HubAuthenticationException">The model is gated or private and the token is missing or wrong.</exception>
    /// <exception cref="HubOfflineException">Offline mode is on.</exception>
    public async Task<HubModelInfo> GetModelInfoAsync(HubModelId id, CancellationToken cancellationToken = default)
    {
        ThrowIfOffline(id);
        var uri = new Uri(_options.Endpoint, $"api/models/{id.Repository}/revision/{Uri.EscapeDataString(id.Revision)}?blobs=true");
        return await WithRetriesAsync($"{id} metadata", async () =>
        {
            using var response = await SendAsync(uri, range: null, cancellationToken).ConfigureAwait(false);
            ThrowForStatus(response.Response, id.ToString());
            await using var body = await response.Response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var json = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ParseModelInfo(id, json.RootElement);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads one file of a resolved model to <paramref name="destination"/>. A partial
    /// <c>.incomplete</c> file from an earlier attempt is resumed; the file appears at the destination only
    /// once complete and verified.
    /// </summary>
    /// <exception cref="HubIntegrityException">Size or checksum mismatch; the download was deleted.</exception>
    public async Task DownloadFileAsync(HubModelInfo model, HubFile file, string destination,
        IProgress<HubDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        ThrowIfOffline(new HubModelId(model.Repository, model.CommitSha));
        string partial = destination + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
        string path = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        var uri = new Uri(_options.Endpoint, $"{model.Repository}/resolve/{model.CommitSha}/{path}");

        await WithRetriesAsync($"{model.Repository}/{file.Path}", async () =>
        {
            long existing = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            using var response = await SendAsync(uri, existing > 0 ? existing : null, cancellationToken).ConfigureAwait(false);
            var http = response.Response;
            long? total = response.LinkedSize ?? file.Size ?? http.Content.Headers.ContentRange?.Length ?? http.Content.Headers.ContentLength;
            if (http.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && total == existing)
            {
                // The partial file was already complete when the last attempt broke off.
            }
            else
            {
                ThrowForStatus(http, $"{model.Repository}/{file.Path}");
                bool append = http.StatusCode == HttpStatusCode.PartialContent;
                await using var target = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
                await using var source = await http.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var buffer = new byte[1 << 20];
                long done = append ? existing : 0;
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    done += read;
                    progress?.Report(new HubDownloadProgress(file.Path, done, total));
                }
            }

            long length = new FileInfo(partial).Length;
            if (total is long expectedSize && length != expectedSize)
            {
                if (length < expectedSize) throw new IOException($"{file.Path}: connection ended after {length} of {expectedSize} bytes.");
                File.Delete(partial);
                throw new HubIntegrityException($"{model.Repository}/{file.Path}: {length} bytes received, {expectedSize} announced; the download was deleted.");
            }
            // The file must match every checksum the Hub announced: the API's LFS sha256 and the ETag.
            foreach (var expected in new[] { file.Sha256, response.Checksum }.OfType<string>().Distinct())
            {
                if (await HubChecksum.VerifyAsync(partial, expected, cancellationToken).ConfigureAwait(false) is { } mismatch)
                {
                    File.Delete(partial);
                    throw new HubIntegrityException($"{model.Repository}/{file.Path}: checksum mismatch ({mismatch}); the download was deleted.");
                }
            }
            File.Move(partial, destination, overwrite: true);
            return true;
        }, cancellationToken).ConfigureAwait(false);
    }

    private void ThrowIfOffline(HubModelId id)
    {
        if (_options.Offline)
            throw new HubOfflineException($"Offline mode (HF_HUB_OFFLINE) is on, so {id} cannot be fetched from {_options.Endpoint}.");
    }

    /// <summary>A response after redirects, with the headers the Hub put on its first (redirecting) answer.</summary>
    private sealed record HubResponse(HttpResponseMessage Response, string? Checksum, long? LinkedSize) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }

    private async Task<HubResponse> SendAsync(Uri uri, long? range, CancellationToken cancellationToken)
    {
        string? checksum = null;
        long? linkedSize = null;
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (range is long from) request.Headers.Range = new RangeHeaderValue(from, null);
            // The token goes to the Hub's own answer only, never to wherever it redirects (the file host).
            if (_options.Token is { Length: > 0 } token && hop == 0)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            checksum ??= HubChecksum.FromEtag(Header(response, "X-Linked-Etag")) ?? HubChecksum.FromEtag(response.Headers.ETag?.ToString());
            linkedSize ??= long.TryParse(Header(response, "X-Linked-Size"), out var size) ? size : null;
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                if (hop >= MaxRedirects) throw new HubException($"Too many redirects fetching {uri}.");
                uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                continue;
            }
            return new HubResponse(response, checksum, linkedSize);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private void ThrowForStatus(HttpResponseMessage response, string what)
    {
        if (response.IsSuccessStatusCode) return;
        switch (response.StatusCode)
        {
            case HttpStatusCode.NotFound:
                throw new HubModelNotFoundException($"{what} was not found on {_options.Endpoint} (HTTP 404). Check the model id and revision.");
            case HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden:
                throw new HubAuthenticationException(_options.Token is null
                    ? $"{what} needs authentication (HTTP {(int)response.StatusCode}): set HF_TOKEN (or HubOptions.Token) to an access token that may read it."
                    : $"{what} refused the token (HTTP {(int)response.StatusCode}): check that HF_TOKEN may read this repository (gated models need accepted terms).");
            case >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout:
                throw new HttpRequestException($"{what}: HTTP {(int)response.StatusCode} from {response.RequestMessage?.RequestUri}.", null, response.StatusCode);
            default:
                throw new HubException($"{what}: HTTP {(int)response.StatusCode} from {response.RequestMessage?.RequestUri}.");
        }
    }

    private async Task<T> WithRetriesAsync<T>(string what, Func<Task<T>> attempt, CancellationToken cancellationToken)
    {
        var delay = _options.InitialRetryDelay;
        for (int i = 1; ; i++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (Exception ex) when (i < _options.MaxAttempts && IsTransient(ex, cancellationToken))
            {
                _logger.LogWarning("{What}: attempt {Attempt} failed ({Error}); retrying in {Delay}.", what, i, ex.Message, delay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        HubException => false,
        OperationCanceledException => !cancellationToken.IsCancellationRequested, // a timeout, not the caller
        HttpRequestException or IOException => true,
        _ => false,
    };

    private static HubModelInfo ParseModelInfo(HubModelId id, JsonElement root)
    {
        try
        {
            string sha = root.GetProperty("sha").GetString() ?? throw new KeyNotFoundException("sha");
            var files = root.GetProperty("siblings").EnumerateArray().Select(s =>
            {
                long? size = s.TryGetProperty("size", out var z) && z.ValueKind == JsonValueKind.Number ? z.GetInt64() : null;
                string? sha256 = s.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object
                    ? (lfs.TryGetProperty("sha256", out var h) ? h.GetString() : lfs.TryGetProperty("oid", out var o) ? o.GetString() : null)
                    : null;
                return new HubFile(s.GetProperty("rfilename").GetString()!, size, sha256?.ToLowerInvariant());
            }).ToArray();
            return new HubModelInfo(id.Repository, sha, files);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            throw new HubException($"{id}: unexpected model info from the Hub ({ex.Message}).", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
