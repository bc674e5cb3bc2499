using System.Text.Json;
using System.Text.Json.Serialization;

namespace OnnxLlm.Samples.OpenAiServer.Protocol;

// Response shapes of /v1/chat/completions. Nulls are omitted by default (ProtocolJson), except where OpenAI
// always writes the key: finish_reason and logprobs of every choice, content of an assistant message. Strict
// clients (the OpenAI SDKs among them) read "finish_reason": null as "not finished yet".

/// <summary>A whole (non-streamed) answer: <c>"object": "chat.completion"</c>.</summary>
public sealed class ChatCompletion
{
    public required string Id { get; init; }
    public string Object => "chat.completion";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChatCompletionChoice> Choices { get; init; }
    public required UsageDto Usage { get; init; }
}

public sealed class ChatCompletionChoice
{
    public int Index { get; init; }
    public required ResponseMessageDto Message { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public JsonElement? Logprobs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? FinishReason { get; init; }
}

public sealed class ResponseMessageDto
{
    public string Role => "assistant";
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Content { get; init; }
    /// <summary>A thinking model's reasoning (Qwen3's think block), apart from the answer, as vLLM and DeepSeek return it.</summary>
    public string? ReasoningContent { get; init; }
    public List<ToolCallDto>? ToolCalls { get; init; }
}

/// <summary>One server-sent event of a streamed answer: <c>"object": "chat.completion.chunk"</c>.</summary>
public sealed class ChatCompletionChunk
{
    public required string Id { get; init; }
    public string Object => "chat.completion.chunk";
    public required long Created { get; init; }
    public required string Model { get; init; }
    public required List<ChunkChoice> Choices { get; init; }
    /// <summary>Only on the extra last chunk asked for by <c>stream_options.include_usage</c> (whose choices are empty).</summary>
    public UsageDto? Usage { get; init; }
}

public sealed class ChunkChoice
{
    public int Index { get; init; }
    public required ChunkDelta Delta { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public JsonElement? Logprobs { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? FinishReason { get; init; }
}

/// <summary>What a chunk adds to the message: the role (first chunk), a piece of text or of reasoning, or whole tool calls.</summary>
public sealed class ChunkDelta
{
    public string? Role { get; init; }
    public string? Content { get; init; }
    public string? ReasoningContent { get; init; }
    public List<ToolCallDto>? ToolCalls { get; init; }
}

public sealed class UsageDto
{
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
    public int TotalTokens { get; init; }
    /// <summary>OpenAI's breakdown; <c>cached_tokens</c> are prompt tokens whose KV cache was reused from an earlier request.</summary>
    public PromptTokensDetailsDto? PromptTokensDetails { get; init; }
    /// <summary>Present when the model thought: how many of the completion tokens were reasoning.</summary>
    public CompletionTokensDetailsDto? CompletionTokensDetails { get; init; }
}

public sealed class PromptTokensDetailsDto
{
    public int CachedTokens { get; init; }
}

public sealed class CompletionTokensDetailsDto
{
    public int ReasoningTokens { get; init; }
}
