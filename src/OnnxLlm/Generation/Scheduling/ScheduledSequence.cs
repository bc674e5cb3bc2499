using System.Diagnostics;
using System.Threading.Channels;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Generation.Scheduling;

/// <summary>
/// One request inside the scheduler: its prompt, its own sampler and constraint, the <see cref="TokenStreamWriter"/>
/// (detokenizer, stop rules) feeding the channel its caller reads, and where it stands (waiting, prefilling, decoding). Everything but
/// <see cref="Abandon"/> runs on the scheduler's thread, so nothing here is shared between sequences.
/// </summary>
internal sealed class ScheduledSequence : IDisposable
{
    private readonly Channel<GenerationUpdate> _updates =
        Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop;
    private readonly CancellationToken _callerToken;
    private readonly int[] _tokens; // prompt, then each generated token once it is in the KV cache
    private readonly int _vocabSize;
    private readonly int _textVocabularySize;
    private readonly QwenTokenizer _tokenizer;
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private TokenSampler? _sampler;
    private TokenStreamWriter? _stream;
    private TimeSpan _queueTime;
    private GenerationFinishReason _finish = GenerationFinishReason.Length;

    public ScheduledSequence(GenerationRequest request, int vocabSize, int textVocabularySize, QwenTokenizer tokenizer,
        CancellationToken cancellationToken)
    {
        Request = request;
        Prompt = request.PromptTokens as int[] ?? request.PromptTokens.ToArray();
        _tokens = new int[Prompt.Length + request.MaxNewTokens];
        Prompt.CopyTo(_tokens, 0);
        CachedLength = Prompt.Length;
        _vocabSize = vocabSize;
        _textVocabularySize = textVocabularySize;
        _tokenizer = tokenizer;
        _callerToken = cancellationToken;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public GenerationRequest Request { get; }

    public int[] Prompt { get; }

    /// <summary>Updates for the caller.</summary>
    public ChannelReader<GenerationUpdate> Updates => _updates.Reader;

    /// <summary>Completes once the scheduler has let go of the sequence (its slot is free, its cache kept).</summary>
    public Task Released => _released.Task;

    /// <summary>The caller cancelled or stopped reading.</summary>
    public bool IsCancelled => _stop.IsCancellationRequested;

    /// <summary>The slot holding its KV cache, or −1 while queued.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Prompt tokens already in the slot's cache (copied from the prefix cache or prefilled).</summary>
    public int PrefilledTokens { get; set; }

    /// <summary>Whether the prompt is fully in the cache and tokens are being generated.</summary>
    public bool IsDecoding { get; private set; }

    /// <summary>The sampled token the next decode step feeds.</summary>
    public int PendingToken { get; private set; }

    /// <summary>Tokens whose keys and values the slot holds: the prompt, then every generated token fed back.</summary>
    public int CachedLength { get; private set; }

    /// <summary>Time from submission to admission.</summary>
    public TimeSpan QueueTime => _queueTime;

    /// <summary>Time since submission.</summary>
    public TimeSpan Age => Stopwatch.GetElapsedTime(_submitted);

    /// <summary>The first <paramref name="length"/> token ids in the slot's cache, for a prefix snapshot.</summary>
    public int[] CachedTokens(int length) => _tokens.AsSpan(0, Math.Min(length, CachedLength)).ToArray();

    /// <summary>Admits the sequence into <paramref name="slot"/> with <paramref name="reused"/> prompt tokens already cached there.</summary>
    public void Admit(int slot, int reused)
    {
        _queueTime = Stopwatch.GetElapsedTime(_submitted);
        Slot = slot;
        PrefilledTokens = reused;
        _sampler = new TokenSampler(Request.Sampling, _vocabSize, Prompt);
        _stream = new TokenStreamWriter(_updates.Writer, Request, _tokenizer, _submitted) { QueueTime = _queueTime, CachedPromptTokens = reused };
    }

    /// <summary>The caller stopped reading (or cancelled): the scheduler drops the sequence at its next step.</summary>
    public void Abandon() => _stop.Cancel();

    /// <summary>
    /// Chooses the next token from the logits of the last cached position and emits its text. Returns true when the
    /// sequence has finished (end token, stop sequence, constraint complete or token limit); otherwise the token is
    /// <see cref="PendingToken"/> for the next decode step.
    /// </summary>
    public bool OnLogits(Span<float> logits)
    {
        IsDecoding = true;
        var sampler = _sampler ?? throw new InvalidOperationException("The sequence was not admitted.");
        // (The sampler checks the row for NaN / +inf / all −inf and names the step.)
        // Qwen pads its embedding table beyond the tokenizer's vocabulary; those rows are not tokens.
        if (_textVocabularySize < logits.Length) logits[_textVocabularySize..].Fill(float.NegativeInfinity);
        Request.Constraint?.Apply(logits);
        int token = sampler.Sample(logits);
        sampler.Accept(token);
        Request.Constraint?.Accept(token);
        if (_stream!.OnToken(token) is { } finish)
        {
            _finish = finish;
            return true;
        }
        PendingToken = token;
        return false;
    }

    /// <summary>Records that the decode step fed <see cref="PendingToken"/> into the cache.</summary>
    public void OnFed() => _tokens[CachedLength++] = PendingToken;

    /// <summary>
    /// Ends the sequence for its caller: on success the text still held back and the final update; otherwise the error
    /// (cancellation included). Then marks it released.
    /// </summary>
    public void Complete(Exception? error)
    {
        if (error is not null)
            _updates.Writer.TryComplete(error is OperationCanceledException ? new OperationCanceledException(error.Message, error, _callerToken) : error);
        else if (_stream is not null)
            _stream.Complete(_finish);
        else
            _updates.Writer.TryComplete();
        _released.TrySetResult();
    }

    public void Dispose() => _stop.Dispose();
}
