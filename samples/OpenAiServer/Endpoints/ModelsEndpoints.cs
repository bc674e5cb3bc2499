using OnnxLlm.Samples.OpenAiServer.Protocol;

namespace OnnxLlm.Samples.OpenAiServer.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the one model this process serves.</summary>
public static class ModelsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", (OnnxLlmModel model) =>
            Results.Json(new ModelList { Data = [Describe(model)] }, ProtocolJson.Default.ModelList));

        // Catch-all: Hub ids contain a slash ("Qwen/Qwen2.5-0.5B-Instruct"), and clients put them in the path as is.
        app.MapGet("/v1/models/{**id}", (string id, OnnxLlmModel model, HttpContext context) =>
            IsServed(model, id)
                ? Results.Json(Describe(model), ProtocolJson.Default.ModelInfo)
                : ModelNotFound(context, id));
    }

    /// <summary>Model ids compare case-insensitively, as OnnxLlmChatClient compares ChatOptions.ModelId.</summary>
    public static bool IsServed(OnnxLlmModel model, string id) => string.Equals(id, model.ModelId, StringComparison.OrdinalIgnoreCase);

    public static OpenAiException ModelNotFoundError(string id) =>
        new(StatusCodes.Status404NotFound, $"The model '{id}' does not exist or you do not have access to it.",
            OpenAiErrors.InvalidRequest, param: "model", code: "model_not_found");

    private static IResult ModelNotFound(HttpContext context, string id)
    {
        var error = ModelNotFoundError(id);
        return Results.Json(new OpenAiErrorBody { Error = new OpenAiError { Message = error.Message, Type = error.Type, Param = error.Param, Code = error.Code } },
            ProtocolJson.Default.OpenAiErrorBody, statusCode: error.StatusCode);
    }

    private static ModelInfo Describe(OnnxLlmModel model) => new()
    {
        Id = model.ModelId,
        Created = new DateTimeOffset(Directory.GetLastWriteTimeUtc(model.Directory)).ToUnixTimeSeconds(),
    };
}
