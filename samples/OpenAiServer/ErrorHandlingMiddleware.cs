using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using OnnxLlm.Samples.OpenAiServer.Protocol;

namespace OnnxLlm.Samples.OpenAiServer;

/// <summary>
/// Outermost middleware: applies the request body limit, turns exceptions that escape an endpoint into
/// OpenAI-shaped 500s, and gives bodiless error statuses produced by the framework (e.g. routing's 405 for a
/// wrong method) the same {"error": ...} body, so clients parse every failure the same way.
/// </summary>
public sealed class ErrorHandlingMiddleware(RequestDelegate next, IOptions<ServerOptions> options, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        // Per request rather than Kestrel-wide, so the limit comes from the bound options like every other setting.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = options.Value.MaxRequestBodyBytes;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
            return;
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Unhandled error serving {Method} {Path}", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted) throw;
            context.Response.Clear();
            await OpenAiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                "The server had an error while processing your request.", OpenAiErrors.ServerError);
            return;
        }
        if (context.Response is { HasStarted: false, StatusCode: >= 400, ContentLength: null, ContentType: null })
        {
            int status = context.Response.StatusCode;
            string message = status switch
            {
                StatusCodes.Status405MethodNotAllowed =>
                    $"{context.Request.Method} is not allowed on {context.Request.Path}; use {context.Response.Headers.Allow}.",
                StatusCodes.Status404NotFound => $"Unknown request URL: {context.Request.Method} {context.Request.Path}.",
                _ => $"HTTP {status}.",
            };
            await OpenAiErrors.WriteAsync(context, status, message, OpenAiErrors.InvalidRequest,
                code: status == StatusCodes.Status404NotFound ? "unknown_url" : null);
        }
    }
}
