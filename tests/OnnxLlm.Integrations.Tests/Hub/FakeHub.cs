using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace OnnxLlm.Integrations.Tests.Hub;

/// <summary>
/// A local stand-in for the Hugging Face Hub on 127.0.0.1, with the Hub's real endpoint shapes: the model
/// info API (<c>/api/models/{repo}/revision/{rev}?blobs=true</c>), <c>/{repo}/resolve/{rev}/{file}</c> with
/// X-Repo-Commit and ETag headers, LFS files answered by a 302 to a separate file host path carrying
/// X-Linked-Etag (sha256) and X-Linked-Size, and Range requests. Failures can be injected.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, (string Folder, string Commit)> _repos = new(StringComparer.Ordinal);

    public FakeHub()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGet("/api/models/{owner}/{name}/revision/{revision}", ModelInfo);
        _app.MapGet("/{owner}/{name}/resolve/{revision}/{**path}", Resolve);
        _app.MapGet("/cdn/{owner}/{name}/{**path}", Cdn);
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>When set, every Hub request (not the file host) needs "Authorization: Bearer {token}".</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Abort the first file-host response for this file after this many bytes.</summary>
    public (string File, int Bytes)? DropOnce { get; set; }

    /// <summary>Announce a wrong sha256 for this file.</summary>
    public string? WrongChecksumFor { get; set; }

    /// <summary>Every request seen: path, Range header, Authorization header.</summary>
    public ConcurrentQueue<(string Path, string? Range, string? Authorization)> Requests { get; } = new();

    public void AddRepository(string repository, string folder, string commit) => _repos[repository] = (folder, commit);

    public async Task StartAsync()
    {
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Endpoint = new Uri(address.EndsWith('/') ? address : address + "/");
    }

    private bool Authorized(HttpContext context) =>
        RequiredToken is null || context.Request.Headers.Authorization.ToString() == $"Bearer {RequiredToken}";

    private void Record(HttpContext context) =>
        Requests.Enqueue((context.Request.Path.Value!, context.Request.Headers.Range.FirstOrDefault(), context.Request.Headers.Authorization.FirstOrDefault()));

    private IResult ModelInfo(HttpContext context, string owner, string name, string revision)
    {
        Record(context);
        if (!Authorized(context)) return Results.Json(new { error = "Invalid credentials" }, statusCode: 401);
        if (!_repos.TryGetValue($"{owner}/{name}", out var repo)) return Results.Json(new { error = "Repository not found" }, statusCode: 404);
        var siblings = Directory.GetFiles(repo.Folder).Order(StringComparer.Ordinal).Select(f =>
        {
            var info = new FileInfo(f);
            return IsLfs(info.Name)
                ? (object)new { rfilename = info.Name, size = info.Length, lfs = new { sha256 = Sha256(f), size = info.Length } }
                : new { rfilename = info.Name, size = info.Length };
        });
        return Results.Json(new { id = $"{owner}/{name}", sha = repo.Commit, siblings });
    }

    private IResult Resolve(HttpContext context, string owner, string name, string revision, string path)
    {
        Record(context);
        if (!Authorized(context)) return Results.Json(new { error = "Invalid credentials" }, statusCode: 401);
        if (!_repos.TryGetValue($"{owner}/{name}", out var repo) || !File.Exists(Path.Combine(repo.Folder, path)))
            return Results.Json(new { error = "Entry not found" }, statusCode: 404);
        string file = Path.Combine(repo.Folder, path);
        context.Response.Headers["X-Repo-Commit"] = repo.Commit;
        if (IsLfs(path))
        {
            string sha = path == WrongChecksumFor ? new string('0', 64) : Sha256(file);
            context.Response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
            context.Response.Headers["X-Linked-Size"] = new FileInfo(file).Length.ToString();
            context.Response.Headers.ETag = $"\"{sha}\"";
            return Results.Redirect($"/cdn/{owner}/{name}/{path}");
        }
        context.Response.Headers.ETag = $"\"{GitBlobSha1(file)}\"";
        return Results.File(File.ReadAllBytes(file), "application/octet-stream", enableRangeProcessing: true);
    }

    private async Task Cdn(HttpContext context, string owner, string name, string path)
    {
        Record(context);
        var repo = _repos[$"{owner}/{name}"];
        var bytes = await File.ReadAllBytesAsync(Path.Combine(repo.Folder, path));
        if (DropOnce is { } drop && drop.File == path)
        {
            DropOnce = null;
            context.Response.ContentLength = bytes.Length;
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, drop.Bytes));
            await context.Response.Body.FlushAsync();
            context.Abort(); // the connection drops mid-file
            return;
        }
        await Results.File(bytes, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
    }

    private static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal);

    private static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    private static string GitBlobSha1(string file)
    {
        var content = File.ReadAllBytes(file);
        return Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
