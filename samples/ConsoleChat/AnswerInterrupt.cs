namespace ConsoleChat;

/// <summary>
/// Ctrl+C while an answer streams cancels that answer only; the chat goes on. Ctrl+C at the prompt ends the
/// program as usual.
/// </summary>
internal sealed class AnswerInterrupt : IDisposable
{
    private CancellationTokenSource? _current;

    public AnswerInterrupt() => Console.CancelKeyPress += OnCancelKeyPress;

    /// <summary>A token cancelled by the next Ctrl+C; dispose the returned scope when the answer ends.</summary>
    public Scope BeginAnswer()
    {
        var source = new CancellationTokenSource();
        Volatile.Write(ref _current, source);
        return new Scope(this, source);
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Volatile.Read(ref _current) is not { } answer) return;
        e.Cancel = true; // keep the process; stop the answer
        answer.Cancel();
    }

    public void Dispose() => Console.CancelKeyPress -= OnCancelKeyPress;

    /// <summary>One answer's cancellation.</summary>
    public readonly struct Scope(AnswerInterrupt owner, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            Interlocked.CompareExchange(ref owner._current, null, source);
            source.Dispose();
        }
    }
}
