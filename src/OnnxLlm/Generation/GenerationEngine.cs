using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Generation.Scheduling;
using OnnxLlm.Inference;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Generation;

/// <summary>
/// Generates continuations of tokenized prompts, streaming text as each token completes it, stopping on end tokens,
/// stop sequences (matched on decoded text) or the token limit. Thread-safe and built for many callers: concurrent
/// requests decode together in one batched run per step (up to <see cref="GenerationEngineOptions.MaxParallelSequences"/>,
/// further ones queue), and a prompt that starts like an earlier sequence (the next turn of a chat, a shared system
/// prompt) reuses that sequence's KV cache and prefills only the rest. The model runs on a scheduler thread of its
/// own, so awaiting callers never tie up the thread pool.
/// </summary>
internal sealed class GenerationEngine : ITokenGenerator
{
    private readonly DecoderModel _model;
    private readonly QwenTokenizer _tokenizer;
    private readonly BatchScheduler _scheduler;
    private readonly int _textVocabularySize;

    /// <summary>Creates an engine over a loaded decoder and its tokenizer (neither is owned).</summary>
    /// <param name="model">The decoder.</param>
    /// <param name="tokenizer">Its tokenizer (for streaming text).</param>
    /// <param name="options">Scheduling: parallel sequences, queue length, prefix-cache budget, prefill chunk (defaults when null).</param>
    /// <param name="logger">Receives queue times and scheduler events.</param>
    public GenerationEngine(DecoderModel model, QwenTokenizer tokenizer, GenerationEngineOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options ??= new GenerationEngineOptions();
        options.Validate();
        _model = model;
        _tokenizer = tokenizer;
        Options = options;
        _textVocabularySize = Math.Min(tokenizer.VocabularySize, model.Config.VocabSize);
        _scheduler = new BatchScheduler(model, options, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Longest prompt + output a request may ask for: the model's context length capped by genai_config.json's
    /// <c>search.max_length</c>, or a static-kv-v1 folder's shorter KV buffer (its <c>max_length</c>), whichever is less.
    /// </summary>
    public int ContextLength => _model.MaxSequenceLength;

    /// <summary>The scheduling settings.</summary>
    public GenerationEngineOptions Options { get; }

    /// <summary>Counters since creation: requests, prompt tokens reused from the prefix cache, batch sizes.</summary>
    public GenerationStatistics Statistics => _scheduler.Statistics;

    /// <summary>Forgets every cached prefix (running sequences are not affected).</summary>
    public void ClearPrefixCache() => _scheduler.ClearPrefixCache();

    /// <summary>Generates a continuation of the request's prompt, streaming text as it is produced.</summary>
    /// <exception cref="ArgumentException">The prompt is empty or holds an id outside the vocabulary.</exception>
    /// <exception cref="ContextLengthExceededException">Prompt + MaxNewTokens exceeds the context length.</exception>
    /// <exception cref="GenerationQueueFullException">Every sequence slot is busy and the queue is full.</exception>
    /// <exception cref="Sampling.InvalidLogitsException">The model produced NaN or infinite logits (names the step).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (queued or running); the engine stays usable.</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate(_model.Config.VocabSize, ContextLength);
        cancellationToken.ThrowIfCancellationRequested();
        using var sequence = new ScheduledSequence(request, _model.Config.VocabSize, _textVocabularySize, _tokenizer, cancellationToken);
        _scheduler.Submit(sequence);
        try
        {
            await foreach (var update in sequence.Updates.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // The scheduler may run ahead of a slow reader; ReadAllAsync hands out buffered items without
                // looking at the token, so check it per item: cancellation takes effect at the next token.
                cancellationToken.ThrowIfCancellationRequested();
                yield return update;
            }
        }
        finally
        {
            // Also reached when the caller stops enumerating early: the scheduler drops the sequence at its next step.
            // Waiting for that (one step at most) means the slot is free and the prefix cached when this returns.
            sequence.Abandon();
            await sequence.Released.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Stops the scheduler (running and queued requests fail with <see cref="ObjectDisposedException"/>) and frees the KV caches.</summary>
    public void Dispose() => _scheduler.Dispose();
}
