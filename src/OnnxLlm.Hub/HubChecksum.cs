using System.Security.Cryptography;
using System.Text;

namespace OnnxLlm.Hub;

/// <summary>
/// The checksums the Hub announces in ETags: SHA-256 of the content for LFS files (64 hex digits), and the
/// git blob SHA-1 (<c>sha1("blob {size}\0" + content)</c>, 40 hex digits) for small files kept in git.
/// </summary>
internal static class HubChecksum
{
    /// <summary>The bare hex value of an ETag header (weak prefix and quotes removed), or null.</summary>
    public static string? FromEtag(string? etag)
    {
        if (string.IsNullOrWhiteSpace(etag)) return null;
        var value = etag.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"').ToLowerInvariant();
        return value.Length is 40 or 64 && value.All(Uri.IsHexDigit) ? value : null;
    }

    /// <summary>Checks a finished file against an expected SHA-256 or git blob SHA-1; returns a mismatch description or null.</summary>
    public static async Task<string?> VerifyAsync(string path, string expected, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        string actual;
        if (expected.Length == 64)
        {
            actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        }
        else
        {
            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0) sha1.AppendData(buffer, 0, read);
            actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
        }
        return actual == expected ? null : $"expected {(expected.Length == 64 ? "sha256" : "git sha1")} {expected}, got {actual}";
    }
}
