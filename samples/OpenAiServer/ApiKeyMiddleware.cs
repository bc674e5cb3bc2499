using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OnnxLlm.Samples.OpenAiServer.Protocol;

namespace OnnxLlm.Samples.OpenAiServer;

/// <summary>
/// Checks <c>Authorization: Bearer KEY</c> when <see cref="ServerOptions.ApiKey"/> is configured, answering 401
/// with OpenAI's invalid_api_key error otherwise. Runs before routing's endpoints, so unknown paths need the key too
/// (an unauthenticated caller learns nothing about which routes exist).
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<ServerOptions> options, ILogger<ApiKeyMiddleware> logger)
{
    private readonly byte[]? _key = string.IsNullOrEmpty(options.Value.ApiKey) ? null : Encoding.UTF8.GetBytes(options.Value.ApiKey);

    public Task InvokeAsync(HttpContext context)
    {
        if (_key is null) return next(context);
        string header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        bool ok = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            // Constant-time comparison: response timing must not reveal how much of a guessed key was right.
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()), _key);
        if (ok) return next(context);
        logger.LogWarning("Rejected {Method} {Path} from {Remote}: {Reason}", context.Request.Method, context.Request.Path,
            context.Connection.RemoteIpAddress, header.Length == 0 ? "no Authorization header" : "wrong API key");
        return OpenAiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized,
            header.Length == 0
                ? "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."
                : "Incorrect API key provided.",
            OpenAiErrors.InvalidRequest, param: null, code: "invalid_api_key");
    }
}
