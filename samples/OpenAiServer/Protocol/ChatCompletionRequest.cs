using System.Text.Json;

namespace OnnxLlm.Samples.OpenAiServer.Protocol;

// The request side of POST /v1/chat/completions, as OpenAI documents it. Fields that may be a string or an
// array (content, stop) or an object or a string (tool_choice, response_format) stay JsonElement and are
// interpreted by RequestMapping, which can then name the offending parameter. Fields we do not know are
// ignored by System.Text.Json, as OpenAI-compatible servers conventionally do (clients send vendor extras).

/// <summary>The body of <c>POST /v1/chat/completions</c>.</summary>
public sealed class ChatCompletionRequest
{
    public string? Model { get; set; }
    public List<ChatMessageDto>? Messages { get; set; }
    /// <summary>Legacy name of <see cref="MaxCompletionTokens"/>; the newer one wins when both are sent.</summary>
    public int? MaxTokens { get; set; }
    public int? MaxCompletionTokens { get; set; }
    public float? Temperature { get; set; }
    public float? TopP { get; set; }
    public long? Seed { get; set; }
    public JsonElement? Stop { get; set; }
    public float? FrequencyPenalty { get; set; }
    public float? PresencePenalty { get; set; }
    public int? N { get; set; }
    public bool? Stream { get; set; }
    public StreamOptionsDto? StreamOptions { get; set; }
    public List<ToolDto>? Tools { get; set; }
    public JsonElement? ToolChoice { get; set; }
    public bool? ParallelToolCalls { get; set; }
    public JsonElement? ResponseFormat { get; set; }
    /// <summary>"none" turns a thinking model's (Qwen3's) reasoning off; "minimal" / "low" / "medium" / "high" turn it on.</summary>
    public string? ReasoningEffort { get; set; }
    /// <summary>vLLM's and SGLang's extra template variables; this server reads <c>enable_thinking</c> (Qwen3) from it.</summary>
    public JsonElement? ChatTemplateKwargs { get; set; }
}

/// <summary>One message of the conversation; <see cref="Content"/> is a string or an array of content parts.</summary>
public sealed class ChatMessageDto
{
    public string? Role { get; set; }
    public JsonElement? Content { get; set; }
    public string? Name { get; set; }
    public List<ToolCallDto>? ToolCalls { get; set; }
    public string? ToolCallId { get; set; }
    /// <summary>An earlier answer's reasoning, as this server (and vLLM) return it; Qwen3's template decides whether it is resent.</summary>
    public string? ReasoningContent { get; set; }
}

/// <summary>A tool call, in an assistant message of the request or in a response (with <see cref="Index"/> in stream deltas).</summary>
public sealed class ToolCallDto
{
    public int? Index { get; set; }
    public string? Id { get; set; }
    public string? Type { get; set; }
    public FunctionCallDto? Function { get; set; }
}

/// <summary>The function a tool call invokes; <see cref="Arguments"/> is a JSON object serialized as a string.</summary>
public sealed class FunctionCallDto
{
    public string? Name { get; set; }
    public string? Arguments { get; set; }
}

/// <summary>A tool on offer (only <c>"type": "function"</c> exists).</summary>
public sealed class ToolDto
{
    public string? Type { get; set; }
    public FunctionDefinitionDto? Function { get; set; }
}

/// <summary>A function's declaration: its name, description and JSON schema of parameters.</summary>
public sealed class FunctionDefinitionDto
{
    public string? Name { get; set; }
    public string? Description { get; set; }
    public JsonElement? Parameters { get; set; }
}

/// <summary><c>stream_options</c>: whether a last chunk carries the token usage.</summary>
public sealed class StreamOptionsDto
{
    public bool? IncludeUsage { get; set; }
}
