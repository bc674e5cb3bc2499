using System.Text.Json.Serialization;

namespace OnnxLlm.Samples.OpenAiServer.Protocol;

/// <summary>The body of every error answer: <c>{"error": {"message", "type", "param", "code"}}</c>, as OpenAI sends it.</summary>
public sealed class OpenAiErrorBody
{
    public required OpenAiError Error { get; init; }
}

public sealed class OpenAiError
{
    public required string Message { get; init; }
    public required string Type { get; init; }
    // OpenAI writes "param": null and "code": null rather than leaving the keys out; clients index them.
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Param { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Code { get; init; }
}

/// <summary>
/// A request the server refuses, with the HTTP status and the OpenAI error fields to answer with. Thrown by
/// request validation and mapping, turned into a response in one place (<see cref="OpenAiErrors"/>).
/// </summary>
public sealed class OpenAiException(int statusCode, string message, string type = OpenAiErrors.InvalidRequest,
    string? param = null, string? code = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    /// <summary>400 for a parameter with a bad value, naming it.</summary>
    public static OpenAiException InvalidValue(string param, string message) =>
        new(StatusCodes.Status400BadRequest, message, OpenAiErrors.InvalidRequest, param, "invalid_value");
}

/// <summary>Writes OpenAI-shaped error responses.</summary>
public static class OpenAiErrors
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerError = "server_error";

    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type = InvalidRequest,
        string? param = null, string? code = null)
    {
        context.Response.StatusCode = statusCode;
        var body = new OpenAiErrorBody { Error = new OpenAiError { Message = message, Type = type, Param = param, Code = code } };
        return context.Response.WriteAsJsonAsync(body, ProtocolJson.Default.OpenAiErrorBody, contentType: null, context.RequestAborted);
    }

    public static Task WriteAsync(HttpContext context, OpenAiException error) =>
        WriteAsync(context, error.StatusCode, error.Message, error.Type, error.Param, error.Code);
}
