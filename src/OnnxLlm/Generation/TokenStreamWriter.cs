using System.Diagnostics;
using System.Threading.Channels;
using OnnxLlm.Generation.Stopping;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Generation;

/// <summary>
/// Turns one generation's tokens into <see cref="GenerationUpdate"/>s, the same on every backend (OnnxLlm's batch
/// scheduler and GenAI): every token an update (end tokens excepted), text through a <see cref="StreamingDetokenizer"/>
/// and a <see cref="StopSequenceMatcher"/>, then the held-back text and a final update with the finish reason.
/// </summary>
internal sealed class TokenStreamWriter
{
    private readonly ChannelWriter<GenerationUpdate> _writer;
    private readonly GenerationRequest _request;
    private readonly StreamingDetokenizer _detokenizer;
    private readonly StopSequenceMatcher? _stops;
    private readonly long _started;
    private TimeSpan? _firstToken;
    private int _generated;

    public TokenStreamWriter(ChannelWriter<GenerationUpdate> writer, GenerationRequest request, QwenTokenizer tokenizer, long startedTimestamp)
    {
        _writer = writer;
        _request = request;
        _detokenizer = new StreamingDetokenizer(tokenizer, skipSpecialTokens: true);
        _stops = request.StopSequences.Count > 0 ? new StopSequenceMatcher(request.StopSequences) : null;
        _started = startedTimestamp;
    }

    /// <summary>Time the request waited for a generator.</summary>
    public TimeSpan QueueTime { get; set; }

    /// <summary>Prompt tokens whose KV cache was reused rather than computed.</summary>
    public int CachedPromptTokens { get; set; }

    /// <summary>Tokens generated so far.</summary>
    public int Generated => _generated;

    /// <summary>Records a generated token and writes its update; returns the finish reason when it ends the generation.</summary>
    public GenerationFinishReason? OnToken(int token)
    {
        _generated++;
        _firstToken ??= Stopwatch.GetElapsedTime(_started);
        if (_request.StopTokenIds.Contains(token)) return GenerationFinishReason.Stop;
        if (Emit(token, _detokenizer.Append(token))) return GenerationFinishReason.Stop;
        if (_request.Constraint?.IsComplete == true) return GenerationFinishReason.Stop;
        if (_generated >= _request.MaxNewTokens) return GenerationFinishReason.Length;
        return null;
    }

    /// <summary>Releases the text still held (unless a stop sequence ended it), writes the final update and completes the channel.</summary>
    public void Complete(GenerationFinishReason finish)
    {
        if (!(finish == GenerationFinishReason.Stop && _stops?.IsStopped == true))
        {
            if (Emit(-1, _detokenizer.Flush())) finish = GenerationFinishReason.Stop;
            else if (_stops?.Flush() is { Length: > 0 } rest) Write(-1, rest, null);
        }
        Write(-1, "", finish);
        _writer.TryComplete();
    }

    private bool Emit(int token, string? text)
    {
        string visible = text ?? "";
        bool stopped = false;
        if (_stops is not null && visible.Length > 0)
        {
            var result = _stops.Append(visible);
            visible = result.Emit;
            stopped = result.Stopped;
        }
        if (token >= 0 || visible.Length > 0) Write(token, visible, null);
        return stopped;
    }

    private void Write(int token, string text, GenerationFinishReason? finish) => _writer.TryWrite(new GenerationUpdate
    {
        TokenId = token,
        Text = text,
        FinishReason = finish,
        PromptTokens = _request.PromptTokens.Count,
        GeneratedTokens = _generated,
        TimeToFirstToken = _firstToken,
        CachedPromptTokens = CachedPromptTokens,
        QueueTime = QueueTime,
    });
}
