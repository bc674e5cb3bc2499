using System.Diagnostics;

namespace ConsoleChat;

/// <summary>Times one streamed answer: time to the first token, and decode speed after it.</summary>
internal sealed class AnswerStatistics
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _firstToken;
    private long _lastToken;

    /// <summary>Records that text arrived now.</summary>
    public void OnText()
    {
        long now = Stopwatch.GetTimestamp();
        if (_firstToken == 0) _firstToken = now;
        _lastToken = now;
    }

    public TimeSpan? TimeToFirstToken => _firstToken == 0 ? null : Stopwatch.GetElapsedTime(_started, _firstToken);

    /// <summary>Tokens after the first, per second of streaming after it (the decode rate a user feels).</summary>
    public double TokensPerSecond(long outputTokens)
    {
        double seconds = _firstToken == 0 ? 0 : Stopwatch.GetElapsedTime(_firstToken, _lastToken).TotalSeconds;
        return outputTokens > 1 && seconds > 0 ? (outputTokens - 1) / seconds : 0;
    }
}
