using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Generation.Stopping;
using OnnxLlm.Inference;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Generation;

/// <summary>
/// The generation loop: prefill the prompt in chunks, then sample one token at a time through the KV
/// cache, stopping on end tokens, stop sequences (matched on decoded text) or the token limit. Output
/// streams as soon as each token's text is complete. Thread-safe: concurrent requests wait for one of
/// <c>maxConcurrentGenerations</c> slots, each with its own KV cache.
/// </summary>
public sealed class GenerationEngine : IDisposable
{
    private readonly DecoderModel _model;
    private readonly QwenTokenizer _tokenizer;
    private readonly DecoderStatePool _states;
    private readonly SemaphoreSlim _slots;
    private readonly int _prefillChunkSize;
    private readonly int _textVocabularySize;

    /// <summary>Creates an engine over a loaded decoder and its tokenizer (neither is owned).</summary>
    public GenerationEngine(DecoderModel model, QwenTokenizer tokenizer, int maxConcurrentGenerations = 1, int prefillChunkSize = 128)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentGenerations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(prefillChunkSize, 1);
        _model = model;
        _tokenizer = tokenizer;
        _states = new DecoderStatePool(model);
        _slots = new SemaphoreSlim(maxConcurrentGenerations, maxConcurrentGenerations);
        _prefillChunkSize = prefillChunkSize;
        _textVocabularySize = Math.Min(tokenizer.VocabularySize, model.Config.VocabSize);
    }

    /// <summary>The model's context length (prompt + output).</summary>
    public int ContextLength => _model.Config.ContextLength;

    /// <summary>Generates a continuation of the request's prompt, streaming text as it is produced.</summary>
    /// <exception cref="ArgumentException">The prompt is empty or holds an id outside the vocabulary.</exception>
    /// <exception cref="ContextLengthExceededException">Prompt + MaxNewTokens exceeds the context length.</exception>
    /// <exception cref="InvalidLogitsException">The model produced NaN or infinite logits (names the step).</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the engine stays usable.</exception>
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(request);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // The loop is CPU-bound and synchronous; it runs on a pool thread and hands text to the caller
            // through the channel, so a UI or request thread is never blocked by a decode step.
            var producer = Task.Run(() => Run(request, channel.Writer, stop.Token), stop.Token);
            try
            {
                await foreach (var update in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    // The loop may run ahead of a slow reader; ReadAllAsync hands out buffered items without
                    // looking at the token, so check it per item: cancellation takes effect at the next token.
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return update;
                }
            }
            finally
            {
                // Also reached when the caller stops enumerating early: stop the loop and wait for it, so the
                // KV cache goes back to the pool before the slot is released.
                stop.Cancel();
                try { await producer.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
                catch (Exception) when (producer.IsFaulted) { /* already surfaced through the channel */ }
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            _slots.Release();
        }
    }

    private void Validate(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.PromptTokens.Count == 0)
            throw new ArgumentException("The prompt has no tokens.", nameof(request));
        ArgumentOutOfRangeException.ThrowIfLessThan(request.MaxNewTokens, 1, "request.MaxNewTokens");
        int vocab = _model.Config.VocabSize;
        foreach (int id in request.PromptTokens)
            if ((uint)id >= (uint)vocab)
                throw new ArgumentException($"Prompt token id {id} is outside the vocabulary (0..{vocab - 1}).", nameof(request));
        if (request.PromptTokens.Count + request.MaxNewTokens > ContextLength)
            throw new ContextLengthExceededException(request.PromptTokens.Count, request.MaxNewTokens, ContextLength);
    }

    private void Run(GenerationRequest request, ChannelWriter<GenerationUpdate> output, CancellationToken cancellationToken)
    {
        try
        {
            Generate(request, output, cancellationToken);
            output.TryComplete();
        }
        catch (Exception ex)
        {
            output.TryComplete(ex);
        }
    }

    private void Generate(GenerationRequest request, ChannelWriter<GenerationUpdate> output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        int promptLength = request.PromptTokens.Count;
        var state = _states.Rent(promptLength + request.MaxNewTokens);
        try
        {
            var prompt = request.PromptTokens as int[] ?? request.PromptTokens.ToArray();
            for (int offset = 0; offset < prompt.Length; offset += _prefillChunkSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                state.Prefill(prompt.AsSpan(offset, Math.Min(_prefillChunkSize, prompt.Length - offset)));
            }

            var sampler = new TokenSampler(request.Sampling, _model.Config.VocabSize, prompt);
            var detokenizer = new StreamingDetokenizer(_tokenizer, skipSpecialTokens: true);
            var stops = request.StopSequences.Count > 0 ? new StopSequenceMatcher(request.StopSequences) : null;
            var stopIds = request.StopTokenIds;
            TimeSpan? firstToken = null;
            int generated = 0;
            GenerationFinishReason finish = GenerationFinishReason.Length;

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var logits = state.MutableLogits;
                // (The sampler checks the row for NaN / +inf / all −inf and names the step.)
                // Qwen pads its embedding table beyond the tokenizer's vocabulary; those rows are not tokens.
                if (_textVocabularySize < logits.Length) logits[_textVocabularySize..].Fill(float.NegativeInfinity);
                request.Constraint?.Apply(logits);
                int token = sampler.Sample(logits);
                sampler.Accept(token);
                request.Constraint?.Accept(token);
                generated++;
                firstToken ??= Stopwatch.GetElapsedTime(started);
                if (stopIds.Contains(token))
                {
                    finish = GenerationFinishReason.Stop;
                    break;
                }
                if (Emit(token, detokenizer.Append(token), stops, output, promptLength, generated, firstToken))
                {
                    finish = GenerationFinishReason.Stop;
                    break;
                }
                if (request.Constraint?.IsComplete == true)
                {
                    finish = GenerationFinishReason.Stop;
                    break;
                }
                if (generated >= request.MaxNewTokens) break;
                state.Decode(token);
            }

            if (!(finish == GenerationFinishReason.Stop && stops?.IsStopped == true))
            {
                // Whatever the detokenizer and the stop matcher still hold is final text now.
                bool stopped = Emit(-1, detokenizer.Flush(), stops, output, promptLength, generated, firstToken);
                if (stopped) finish = GenerationFinishReason.Stop;
                else if (stops?.Flush() is { Length: > 0 } rest)
                    output.TryWrite(new GenerationUpdate { TokenId = -1, Text = rest, PromptTokens = promptLength, GeneratedTokens = generated, TimeToFirstToken = firstToken });
            }
            output.TryWrite(new GenerationUpdate
            {
                TokenId = -1,
                Text = "",
                FinishReason = finish,
                PromptTokens = promptLength,
                GeneratedTokens = generated,
                TimeToFirstToken = firstToken,
            });
        }
        finally
        {
            _states.Return(state);
        }
    }

    /// <summary>
    /// Passes a token's decoded text through the stop matcher and writes the update (every token gets one,
    /// flushed text only when non-empty); true when a stop sequence completed.
    /// </summary>
    private static bool Emit(int token, string? text, StopSequenceMatcher? stops, ChannelWriter<GenerationUpdate> output,
        int promptLength, int generated, TimeSpan? firstToken)
    {
        string visible = text ?? "";
        bool stopped = false;
        if (stops is not null && visible.Length > 0)
        {
            var result = stops.Append(visible);
            visible = result.Emit;
            stopped = result.Stopped;
        }
        if (token >= 0 || visible.Length > 0)
            output.TryWrite(new GenerationUpdate { TokenId = token, Text = visible, PromptTokens = promptLength, GeneratedTokens = generated, TimeToFirstToken = firstToken });
        return stopped;
    }

    /// <summary>Frees the pooled KV caches.</summary>
    public void Dispose()
    {
        _states.Dispose();
        _slots.Dispose();
    }
}
