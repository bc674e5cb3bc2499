using Microsoft.Extensions.Logging;

namespace OnnxLlm.Cli;

/// <summary>
/// A logger factory for interactive commands: the SDK's warnings (e.g. the fp16-on-x86 notice) go to stderr as
/// "Note: …" lines, and nothing below warning level, so stdout stays the model's answer.
/// </summary>
internal sealed class StderrWarnings : ILoggerFactory, ILoggerProvider, ILogger
{
    /// <summary>The shared instance.</summary>
    public static StderrWarnings Factory { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel)) Console.Error.WriteLine("Note: " + formatter(state, exception));
    }
}
