using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Tools;

namespace OnnxLlm.Chat;

/// <summary>
/// An <see cref="IChatClient"/> that runs a Qwen2 / Qwen2.5 model folder in-process through ONNX Runtime.
/// Streams from the first token, stops where the model ends its turn, caps output at
/// <see cref="OnnxLlmOptions.DefaultMaxOutputTokens"/> when the caller sets no limit, and samples with the
/// model's own defaults unless <see cref="ChatOptions"/> say otherwise. Thread-safe: concurrent requests decode
/// together (<see cref="OnnxLlmOptions.MaxConcurrentGenerations"/> at once, the rest queued), each with its own
/// sampling, constraints and stop rules, and a conversation's next turn reuses the KV cache of the turns before it.
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
    private int _baseModelWarned;
    private bool _disposed;

    /// <summary>Loads the model folder named by <paramref name="options"/> and owns it.</summary>
    public OnnxLlmChatClient(OnnxLlmOptions options, ILoggerFactory? loggerFactory = null)
        : this(OnnxLlmModel.Load(options, loggerFactory), options.DefaultMaxOutputTokens, ownsModel: true, loggerFactory)
    {
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
        _metadata = new ChatClientMetadata(ProviderName, new Uri(model.Directory.EndsWith(Path.DirectorySeparatorChar) ? model.Directory : model.Directory + Path.DirectorySeparatorChar), model.ModelId);
    }

    /// <summary>The loaded model.</summary>
    public OnnxLlmModel Model => _model;

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
        var request = BuildRequest(messages, options);
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

        await foreach (var update in generate(request, cancellationToken).ConfigureAwait(false))
        {
            if (update.FinishReason is { } finish)
            {
                if (toolCalls is not null)
                {
                    foreach (var content in toolCalls.Flush())
                    {
                        if (content is FunctionCallContent && singleCall && calls > 0) continue;
                        if (content is FunctionCallContent) calls++;
                        yield return Update([content]);
                    }
                }
                yield return Final(update, calls > 0 ? ChatFinishReason.ToolCalls
                    : finish == GenerationFinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop);
                continue;
            }
            if (update.Text.Length == 0) continue;
            if (toolCalls is null)
            {
                yield return Update([new TextContent(update.Text)]);
                continue;
            }
            foreach (var content in toolCalls.Append(update.Text))
            {
                yield return Update([content]);
                if (content is not FunctionCallContent) continue;
                calls++;
                if (singleCall)
                {
                    // AllowMultipleToolCalls = false: the first call ends the response (the engine stops when we stop reading).
                    yield return Final(update, ChatFinishReason.ToolCalls);
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
    internal GenerationRequest BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options)
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

        var variables = ChatPromptBuilder.BuildVariables(messages, options, null, _model.Tokenizer.EosToken);
        string prompt = template.Render(variables);
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
        return new GenerationRequest
        {
            PromptTokens = tokens,
            MaxNewTokens = maxNew,
            Sampling = ChatOptionsMapping.ToSampling(options, _model.Defaults),
            StopTokenIds = _model.StopTokenIds,
            StopSequences = options?.StopSequences is { Count: > 0 } stops ? stops.ToArray() : [],
            Constraint = _constraints.Create(options),
        };
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
