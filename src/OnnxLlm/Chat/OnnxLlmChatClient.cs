using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Chat.Reasoning;
using OnnxLlm.Constraints;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Tools;

namespace OnnxLlm.Chat;

/// <summary>
/// An <see cref="IChatClient"/> that runs a Qwen2 / Qwen2.5 / Qwen3 model folder in-process through ONNX Runtime.
/// Streams from the first token, stops where the model ends its turn, caps output at
/// <see cref="OnnxLlmOptions.DefaultMaxOutputTokens"/> when the caller sets no limit, and samples with the
/// model's own defaults unless <see cref="ChatOptions"/> say otherwise. Thread-safe: concurrent requests decode
/// together (<see cref="OnnxLlmOptions.MaxConcurrentGenerations"/> at once, the rest queued), each with its own
/// sampling, constraints and stop rules, and a conversation's next turn reuses the KV cache of the turns before it.
/// <para>Thinking models (Qwen3): the <c>&lt;think&gt;…&lt;/think&gt;</c> block streams as
/// <see cref="TextReasoningContent"/> and the answer as <see cref="TextContent"/>; <see cref="ChatOptions.Reasoning"/>
/// switches thinking per request (<see cref="ReasoningEffort.None"/>: off; any other effort: on; unset:
/// <see cref="EnableThinkingByDefault"/>). Output caps count thinking tokens; tool-call and JSON-schema constraints
/// start after <c>&lt;/think&gt;</c>.</para>
/// </summary>
public sealed class OnnxLlmChatClient : IChatClient
{
    /// <summary>The provider name reported in <see cref="ChatClientMetadata"/>.</summary>
    public const string ProviderName = "onnxllm";

    private readonly OnnxLlmModel _model;
    private readonly bool _ownsModel;
    private readonly int _defaultMaxOutputTokens;
    private readonly ILogger _logger;
    private readonly ChatClientMetadata _metadata;
    private readonly TimeProvider _time;
    private readonly ResponseConstraints _constraints;
    private readonly ThinkingTokens? _thinking;
    private int _baseModelWarned;
    private bool _disposed;

    /// <summary>Loads the model folder named by <paramref name="options"/> and owns it.</summary>
    public OnnxLlmChatClient(OnnxLlmOptions options, ILoggerFactory? loggerFactory = null)
        : this(OnnxLlmModel.Load(options, loggerFactory), options.DefaultMaxOutputTokens, ownsModel: true, loggerFactory)
    {
        EnableThinkingByDefault = options.EnableThinking;
    }

    /// <summary>Wraps an already loaded model (not owned: dispose it yourself).</summary>
    public OnnxLlmChatClient(OnnxLlmModel model, int defaultMaxOutputTokens = OnnxLlmOptions.DefaultMaxOutputTokensValue,
        ILoggerFactory? loggerFactory = null)
        : this(model, defaultMaxOutputTokens, ownsModel: false, loggerFactory)
    {
    }

    private OnnxLlmChatClient(OnnxLlmModel model, int defaultMaxOutputTokens, bool ownsModel, ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultMaxOutputTokens, 1);
        _model = model;
        _ownsModel = ownsModel;
        _defaultMaxOutputTokens = defaultMaxOutputTokens;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<OnnxLlmChatClient>();
        _time = timeProvider ?? TimeProvider.System;
        _constraints = new ResponseConstraints(model);
        _thinking = ThinkingTokens.Detect(model.Tokenizer);
        _metadata = new ChatClientMetadata(ProviderName, new Uri(model.Directory.EndsWith(Path.DirectorySeparatorChar) ? model.Directory : model.Directory + Path.DirectorySeparatorChar), model.ModelId);
    }

    /// <summary>The loaded model.</summary>
    public OnnxLlmModel Model => _model;

    /// <summary>
    /// Whether a thinking model (Qwen3) thinks when a request's <see cref="ChatOptions.Reasoning"/> sets no effort
    /// (default true, as Qwen3's template; <see cref="OnnxLlmOptions.EnableThinking"/> when the client loads the model).
    /// Models without <c>&lt;think&gt;</c> tokens ignore it.
    /// </summary>
    public bool EnableThinkingByDefault { get; init; } = true;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return await GetStreamingResponseAsync(messages, options, cancellationToken)
            .ToChatResponseAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (request, startsInReasoning) = Prepare(messages, options);
        string responseId = Guid.NewGuid().ToString("N");
        string messageId = Guid.NewGuid().ToString("N");
        var created = _time.GetUtcNow();
        string modelId = _model.ModelId;

        // With tools on offer, text is scanned for <tool_call> blocks: each becomes one whole FunctionCallContent
        // in its own update (FunctionInvokingChatClient copies calls as they stand), and block text is never shown.
        var toolCalls = ResponseConstraints.ParsesToolCalls(options) ? new ToolCallStreamParser() : null;
        bool singleCall = options?.AllowMultipleToolCalls == false;
        int calls = 0;
        var generate = GenerateOverride ?? _model.Generator.GenerateAsync;

        // Thinking models: text is split at <think>/</think> first; only the answer goes on to the tool-call parser.
        var reasoning = _thinking is null ? null : new ReasoningStreamSplitter(startsInReasoning);
        bool showReasoning = ThinkingSwitch.ShowsReasoning(options);
        int reasoningTokens = 0;
        bool ended = false;

        await foreach (var update in generate(request, cancellationToken).ConfigureAwait(false))
        {
            if (update.FinishReason is { } finish)
            {
                foreach (var piece in reasoning?.Flush() ?? [])
                {
                    foreach (var content in Piece(piece.IsReasoning, piece.Text, update)) yield return content;
                    if (ended) yield break;
                }
                if (toolCalls is not null)
                {
                    foreach (var content in toolCalls.Flush())
                    {
                        if (content is FunctionCallContent && singleCall && calls > 0) continue;
                        if (content is FunctionCallContent) calls++;
                        yield return Update([content]);
                    }
                }
                if (finish == GenerationFinishReason.Length && reasoning is { InReasoning: true })
                    _logger.LogWarning("The output cap ({MaxTokens} tokens, thinking included) was reached while the model was still thinking: " +
                                       "the response has no answer. Raise ChatOptions.MaxOutputTokens or turn thinking off (ChatOptions.Reasoning).",
                                       request.MaxNewTokens);
                yield return Final(update, calls > 0 ? ChatFinishReason.ToolCalls
                    : finish == GenerationFinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop);
                continue;
            }
            if (reasoning is null)
            {
                if (update.Text.Length == 0) continue;
                foreach (var content in Piece(false, update.Text, update)) yield return content;
                if (ended) yield break;
                continue;
            }
            // A token belongs to the reasoning when it is inside the block, opens it or closes it.
            bool wasReasoning = reasoning.InReasoning;
            var pieces = update.Text.Length == 0 ? [] : reasoning.Append(update.Text);
            if (update.TokenId >= 0 && (wasReasoning || reasoning.InReasoning)) reasoningTokens++;
            foreach (var piece in pieces)
            {
                foreach (var content in Piece(piece.IsReasoning, piece.Text, update)) yield return content;
                if (ended) yield break;
            }
        }

        // The updates for one piece of text: reasoning as TextReasoningContent (unless hidden), answer text as TextContent or,
        // with tools on offer, through the tool-call parser. Sets `ended` when AllowMultipleToolCalls = false ends the response.
        IEnumerable<ChatResponseUpdate> Piece(bool isReasoning, string text, GenerationUpdate source)
        {
            if (isReasoning)
            {
                if (showReasoning) yield return Update([new TextReasoningContent(text)]);
                yield break;
            }
            if (toolCalls is null)
            {
                yield return Update([new TextContent(text)]);
                yield break;
            }
            foreach (var content in toolCalls.Append(text))
            {
                yield return Update([content]);
                if (content is not FunctionCallContent) continue;
                calls++;
                if (singleCall)
                {
                    // AllowMultipleToolCalls = false: the first call ends the response (the engine stops when we stop reading).
                    ended = true;
                    yield return Final(source, ChatFinishReason.ToolCalls);
                    yield break;
                }
            }
        }

        ChatResponseUpdate Update(IList<AIContent> contents) => new(ChatRole.Assistant, contents)
        {
            ResponseId = responseId,
            MessageId = messageId,
            ModelId = modelId,
            CreatedAt = created,
        };

        ChatResponseUpdate Final(GenerationUpdate update, ChatFinishReason reason)
        {
            var final = Update([new UsageContent(new UsageDetails
            {
                InputTokenCount = update.PromptTokens,
                OutputTokenCount = update.GeneratedTokens,
                TotalTokenCount = update.PromptTokens + update.GeneratedTokens,
                CachedInputTokenCount = update.CachedPromptTokens,
                // Part of OutputTokenCount, as M.E.AI defines it: the output cap counts thinking too.
                ReasoningTokenCount = reasoningTokens > 0 ? reasoningTokens : null,
            })]);
            final.FinishReason = reason;
            if (update.TimeToFirstToken is { } ttft)
                (final.AdditionalProperties ??= [])["time_to_first_token_ms"] = ttft.TotalMilliseconds;
            (final.AdditionalProperties ??= [])["queue_time_ms"] = update.QueueTime.TotalMilliseconds;
            return final;
        }
    }

    /// <summary>
    /// Test seam: replaces the engine as the source of generation updates (e.g. scripted model text), so the
    /// prompt rendering, constraints and tool-call parsing around it run unchanged.
    /// </summary>
    internal Func<GenerationRequest, CancellationToken, IAsyncEnumerable<GenerationUpdate>>? GenerateOverride { get; set; }

    /// <summary>Renders the conversation through the model's template and maps the options onto a generation request.</summary>
    internal GenerationRequest BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options) => Prepare(messages, options).Request;

    /// <summary>
    /// <see cref="BuildRequest"/>, plus whether the rendered prompt leaves generation inside a reasoning block (a template
    /// that opens <c>&lt;think&gt;</c> itself), which the stream splitter and the constraint need to know.
    /// </summary>
    private (GenerationRequest Request, bool StartsInReasoning) Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var template = _model.ChatTemplate ?? throw new InvalidOperationException(
            $"The model folder {_model.Directory} has no chat_template in tokenizer_config.json, so it cannot render a chat; " +
            "use the GenerationEngine with token ids instead.");
        if (options?.ModelId is { Length: > 0 } requestedModel && !string.Equals(requestedModel, _model.ModelId, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException(
                $"This client serves the model '{_model.ModelId}'; ChatOptions.ModelId asks for '{requestedModel}'.", nameof(options));
        if (_model.IsBaseModel && Interlocked.Exchange(ref _baseModelWarned, 1) == 0)
            _logger.LogWarning("{ModelId} looks like a base (not chat-tuned) model: its EOS token is not the chat template's end-of-turn token. " +
                               "Answers may not stop on their own; use an -Instruct model for chat.", _model.ModelId);

        bool? thinking = _thinking is null ? null : ThinkingSwitch.IsEnabled(options, EnableThinkingByDefault);
        var variables = ChatPromptBuilder.BuildVariables(messages, options, null, _model.Tokenizer.EosToken, thinking);
        string prompt = template.Render(variables);
        bool startsInReasoning = _thinking is not null && ThinkingTokens.PromptOpensReasoning(prompt);
        var tokens = _model.Tokenizer.Encode(prompt);
        int context = _model.Generator.ContextLength;
        int maxNew;
        if (options?.MaxOutputTokens is int requested)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(requested, 1, "options.MaxOutputTokens");
            maxNew = requested; // the engine rejects prompt + requested > context with both counts
        }
        else
        {
            // The default cap is ours, not the caller's: shrink it to the room left rather than fail.
            if (tokens.Count >= context)
                throw new ContextLengthExceededException(tokens.Count, 1, context);
            maxNew = Math.Min(_defaultMaxOutputTokens, context - tokens.Count);
        }
        var constraint = _constraints.Create(options);
        // With thinking on, the model reasons freely first: the answer's constraint starts after </think>.
        if (constraint is not null && _thinking is { } tags && (thinking == true || startsInReasoning))
            constraint = new AfterThinkingConstraint(constraint, tags.StartId, tags.EndId, startsInReasoning);
        var request = new GenerationRequest
        {
            PromptTokens = tokens,
            MaxNewTokens = maxNew,
            Sampling = ChatOptionsMapping.ToSampling(options, _model.Defaults),
            StopTokenIds = _model.StopTokenIds,
            StopSequences = options?.StopSequences is { Count: > 0 } stops ? stops.ToArray() : [],
            Constraint = constraint,
        };
        return (request, startsInReasoning);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(OnnxLlmModel)) return _model;
        if (serviceType == typeof(GenerationEngine)) return _model.Generator as GenerationEngine;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Frees the model's native memory when this client loaded it.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsModel) _model.Dispose();
    }
}
