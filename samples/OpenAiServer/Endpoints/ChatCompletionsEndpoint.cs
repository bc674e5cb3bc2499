using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;
using OnnxLlm.Generation;
using OnnxLlm.Samples.OpenAiServer.Protocol;

namespace OnnxLlm.Samples.OpenAiServer.Endpoints;

/// <summary>
/// <c>POST /v1/chat/completions</c> over the registered <see cref="IChatClient"/>: a whole <c>chat.completion</c>,
/// or with <c>"stream": true</c> server-sent <c>chat.completion.chunk</c> events flushed token by token.
/// </summary>
public static class ChatCompletionsEndpoint
{
    private static readonly byte[] s_dataPrefix = "data: "u8.ToArray();
    private static readonly byte[] s_eventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] s_done = "data: [DONE]\n\n"u8.ToArray();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", HandleAsync);
        // A browser or a mistyped curl hits this with GET; say what to do instead of a bare 405.
        app.MapMethods("/v1/chat/completions", ["GET", "PUT", "PATCH", "DELETE"], (HttpContext context) =>
        {
            context.Response.Headers.Allow = "POST";
            return OpenAiErrors.WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"{context.Request.Method} is not supported on /v1/chat/completions; send the request with POST.",
                OpenAiErrors.InvalidRequest, code: "method_not_allowed");
        });
    }

    private static async Task HandleAsync(HttpContext context, IChatClient client, OnnxLlmModel model,
        IHostApplicationLifetime lifetime, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("OnnxLlm.Samples.OpenAiServer.ChatCompletions");
        // Generation stops when the client disconnects (no one reads the tokens) or the server shuts down
        // (so a long answer does not hold the process past its shutdown timeout).
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancel = cts.Token;
        var clock = Stopwatch.StartNew();
        try
        {
            var request = await ReadRequestAsync(context, cancel);
            if (request.Model is { Length: > 0 } requested && !ModelsEndpoints.IsServed(model, requested))
                throw ModelsEndpoints.ModelNotFoundError(requested);
            var messages = RequestMapping.ToMessages(request);
            var options = RequestMapping.ToOptions(request);
            var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (request.Stream == true)
                await StreamAsync(context, client, messages, options, request.StreamOptions?.IncludeUsage == true, id, created, model.ModelId, logger, clock, cancel);
            else
                await CompleteAsync(context, client, messages, options, id, created, model.ModelId, logger, clock, cancel);
        }
        catch (OpenAiException error) when (!context.Response.HasStarted)
        {
            logger.LogInformation("Refused with {Status} ({Code}, param {Param}): {Message}", error.StatusCode, error.Code, error.Param, error.Message);
            // The unread rest of an oversized body leaves the connection unusable (Kestrel will not drain past the
            // limit); saying so keeps the client from sending its next request down a connection about to close.
            if (error.StatusCode == StatusCodes.Status413PayloadTooLarge) context.Response.Headers.Connection = "close";
            await OpenAiErrors.WriteAsync(context, error);
        }
        catch (GenerationQueueFullException ex) when (!context.Response.HasStarted)
        {
            // Every sequence slot is busy and the queue is full: refuse at once instead of piling up; OpenAI clients
            // retry a 429 after the Retry-After seconds.
            logger.LogWarning("Refused with 429: {Running} generations running, {Queued} queued; retry after {RetryAfter} s.",
                ex.Running, ex.Queued, (int)Math.Ceiling(ex.RetryAfter.TotalSeconds));
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(ex.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await OpenAiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, ex.Message, OpenAiErrors.ServerError, code: "server_busy");
        }
        catch (ContextLengthExceededException ex) when (!context.Response.HasStarted)
        {
            logger.LogInformation("Context length exceeded: {Message}", ex.Message);
            await OpenAiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, ex.Message, OpenAiErrors.InvalidRequest,
                param: "messages", code: "context_length_exceeded");
        }
        catch (ArgumentException ex) when (!context.Response.HasStarted)
        {
            // The chat client's own argument checks (e.g. a response_format schema it cannot enforce): the caller's fault.
            logger.LogInformation("Request rejected by the chat client: {Message}", ex.Message);
            await OpenAiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, ex.Message, OpenAiErrors.InvalidRequest,
                param: null, code: "invalid_value");
        }
        catch (Exception ex) when (context.Response.HasStarted && !cancel.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Mid-stream failure: the 200 is already sent, so report it as an error event (as OpenAI does) and end
            // the stream properly instead of cutting the connection.
            logger.LogError(ex, "Generation failed mid-stream after {Elapsed} ms", clock.ElapsedMilliseconds);
            var body = new OpenAiErrorBody { Error = new OpenAiError { Message = "The server had an error while generating the answer.", Type = OpenAiErrors.ServerError } };
            await WriteEventAsync(context.Response, JsonSerializer.SerializeToUtf8Bytes(body, ProtocolJson.Default.OpenAiErrorBody), CancellationToken.None);
            await context.Response.Body.WriteAsync(s_done, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            bool disconnected = context.RequestAborted.IsCancellationRequested;
            logger.LogInformation("Generation cancelled after {Elapsed} ms: {Reason}", clock.ElapsedMilliseconds,
                disconnected ? "client disconnected" : "server shutting down");
            // A whole answer cut short by shutdown: tell the (still connected) client to retry elsewhere or later.
            if (!disconnected && !context.Response.HasStarted)
                await OpenAiErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "The server is shutting down; retry the request.", OpenAiErrors.ServerError, code: "server_shutting_down");
        }
    }

    private static async Task<ChatCompletionRequest> ReadRequestAsync(HttpContext context, CancellationToken cancel)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        // Refuse by Content-Length before reading a byte; chunked bodies are cut off by Kestrel as they grow past it.
        if (limit is { } max && context.Request.ContentLength > max)
            throw TooLarge(max);
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, ProtocolJson.Default.ChatCompletionRequest, cancel)
                   ?? throw new OpenAiException(400, "The request body must be a JSON object, not null.");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limit ?? 0);
        }
        catch (JsonException ex)
        {
            // Path names the field whose value had the wrong type ("$.temperature"); "$" means the body as a whole.
            string? param = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            throw new OpenAiException(400,
                $"We could not parse the JSON body of your request: {ex.Message}", OpenAiErrors.InvalidRequest, param, "invalid_json");
        }
    }

    private static OpenAiException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than this server accepts ({max} bytes; see OnnxLlm:Server:MaxRequestBodyBytes).",
            OpenAiErrors.InvalidRequest, code: "request_too_large");

    private static async Task CompleteAsync(HttpContext context, IChatClient client, List<ChatMessage> messages, ChatOptions options,
        string id, long created, string modelId, ILogger logger, Stopwatch clock, CancellationToken cancel)
    {
        var response = await client.GetResponseAsync(messages, options, cancel);
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select((c, i) => ToolCall(c, null)).ToList();
        string text = response.Text;
        string reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        var usage = Usage(response.Usage);
        string finish = FinishReason(response.FinishReason);
        Log(logger, false, usage, finish, QueueMilliseconds(response.AdditionalProperties), clock);
        var completion = new ChatCompletion
        {
            Id = id,
            Created = created,
            Model = modelId,
            Choices =
            [
                new ChatCompletionChoice
                {
                    Index = 0,
                    // OpenAI sends content null (not "") on a message that only calls tools.
                    Message = new ResponseMessageDto
                    {
                        Content = calls.Count > 0 && text.Length == 0 ? null : text,
                        ReasoningContent = reasoning.Length > 0 ? reasoning : null,
                        ToolCalls = calls.Count > 0 ? calls : null,
                    },
                    FinishReason = finish,
                },
            ],
            Usage = usage,
        };
        await context.Response.WriteAsJsonAsync(completion, ProtocolJson.Default.ChatCompletion, contentType: null, cancel);
    }

    private static async Task StreamAsync(HttpContext context, IChatClient client, List<ChatMessage> messages, ChatOptions options,
        bool includeUsage, string id, long created, string modelId, ILogger logger, Stopwatch clock, CancellationToken cancel)
    {
        await using var updates = client.GetStreamingResponseAsync(messages, options, cancel).GetAsyncEnumerator(cancel);
        // Pull the first update before sending headers: request errors (context overflow, options the client
        // refuses) surface here and can still be answered as a proper 4xx instead of a broken 200 stream.
        bool more = await updates.MoveNextAsync();

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // tell reverse proxies (nginx) not to hold tokens back
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        await WriteChunkAsync(response, Chunk(new ChunkDelta { Role = "assistant", Content = "" }, null), cancel);
        UsageDto? usage = null;
        ChatFinishReason? finishReason = null;
        double? queueMs = null;
        int toolIndex = 0;
        for (; more; more = await updates.MoveNextAsync())
        {
            var update = updates.Current;
            foreach (var content in update.Contents)
            {
                switch (content)
                {
                    case TextContent { Text.Length: > 0 } text:
                        await WriteChunkAsync(response, Chunk(new ChunkDelta { Content = text.Text }, null), cancel);
                        break;
                    case TextReasoningContent { Text.Length: > 0 } reasoning:
                        await WriteChunkAsync(response, Chunk(new ChunkDelta { ReasoningContent = reasoning.Text }, null), cancel);
                        break;
                    case FunctionCallContent call:
                        // OnnxLlmChatClient yields each call whole, so it goes out in one delta (id, name and all arguments).
                        await WriteChunkAsync(response, Chunk(new ChunkDelta { ToolCalls = [ToolCall(call, toolIndex++)] }, null), cancel);
                        break;
                    case UsageContent u:
                        usage = Usage(u.Details);
                        break;
                }
            }
            finishReason ??= update.FinishReason;
            queueMs ??= QueueMilliseconds(update.AdditionalProperties);
        }
        string finish = FinishReason(finishReason);
        await WriteChunkAsync(response, Chunk(new ChunkDelta(), finish), cancel);
        if (includeUsage)
            await WriteChunkAsync(response, new ChatCompletionChunk { Id = id, Created = created, Model = modelId, Choices = [], Usage = usage ?? new UsageDto() }, cancel);
        await response.Body.WriteAsync(s_done, cancel);
        await response.Body.FlushAsync(cancel);
        Log(logger, true, usage, finish, queueMs, clock);

        ChatCompletionChunk Chunk(ChunkDelta delta, string? finishReason) => new()
        {
            Id = id,
            Created = created,
            Model = modelId,
            Choices = [new ChunkChoice { Index = 0, Delta = delta, FinishReason = finishReason }],
        };
    }

    private static Task WriteChunkAsync(HttpResponse response, ChatCompletionChunk chunk, CancellationToken cancel) =>
        WriteEventAsync(response, JsonSerializer.SerializeToUtf8Bytes(chunk, ProtocolJson.Default.ChatCompletionChunk), cancel);

    /// <summary>One SSE event (<c>data: JSON</c>), flushed at once so each token reaches the client as it is generated.</summary>
    private static async Task WriteEventAsync(HttpResponse response, byte[] json, CancellationToken cancel)
    {
        await response.Body.WriteAsync(s_dataPrefix, cancel);
        await response.Body.WriteAsync(json, cancel);
        await response.Body.WriteAsync(s_eventEnd, cancel);
        await response.Body.FlushAsync(cancel);
    }

    private static ToolCallDto ToolCall(FunctionCallContent call, int? index) => new()
    {
        Index = index,
        Id = call.CallId,
        Type = "function",
        Function = new FunctionCallDto
        {
            Name = call.Name,
            Arguments = call.Arguments is null ? "{}" : ArgumentsJson(call.Arguments),
        },
    };

    private static string ArgumentsJson(IDictionary<string, object?> arguments) =>
        JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static UsageDto Usage(UsageDetails? usage) => new()
    {
        PromptTokensDetails = usage?.CachedInputTokenCount is long cached ? new PromptTokensDetailsDto { CachedTokens = (int)cached } : null,
        PromptTokens = (int)(usage?.InputTokenCount ?? 0),
        CompletionTokens = (int)(usage?.OutputTokenCount ?? 0),
        TotalTokens = (int)(usage?.TotalTokenCount ?? (usage?.InputTokenCount ?? 0) + (usage?.OutputTokenCount ?? 0)),
        CompletionTokensDetails = usage?.ReasoningTokenCount is long reasoning and > 0
            ? new CompletionTokensDetailsDto { ReasoningTokens = (int)reasoning }
            : null,
    };

    private static string FinishReason(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : "stop";

    /// <summary>The time the request waited for a free sequence slot, as OnnxLlmChatClient reports it on its last update.</summary>
    private static double? QueueMilliseconds(AdditionalPropertiesDictionary? properties) =>
        properties?.TryGetValue("queue_time_ms", out var value) == true && value is double ms ? ms : null;

    private static void Log(ILogger logger, bool streamed, UsageDto? usage, string finish, double? queueMs, Stopwatch clock) =>
        logger.LogInformation("Chat completion ({Mode}): {PromptTokens} prompt ({CachedTokens} cached) + {CompletionTokens} completion tokens, finish {Finish}, queued {QueueMs:F0} ms, {Elapsed} ms in all",
            streamed ? "stream" : "whole", usage?.PromptTokens, usage?.PromptTokensDetails?.CachedTokens ?? 0, usage?.CompletionTokens, finish, queueMs ?? 0, clock.ElapsedMilliseconds);
}
