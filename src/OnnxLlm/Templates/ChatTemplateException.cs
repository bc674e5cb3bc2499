namespace OnnxLlm.Templates;

/// <summary>
/// Raised when a chat template cannot be parsed or rendered: a syntax error, a construct this engine does not
/// support, a runtime type error, or an explicit <c>raise_exception(...)</c> call inside the template.
/// </summary>
/// <remarks>
/// The engine never guesses: anything it cannot render exactly as Jinja2 would is reported with this exception,
/// so a prompt is never silently formatted differently from what the model was trained on.
/// </remarks>
public sealed class ChatTemplateException : InvalidOperationException
{
    /// <summary>Creates an exception with a message and an optional template position.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="line">1-based line in the template source, or 0 when unknown.</param>
    /// <param name="column">1-based column in the template source, or 0 when unknown.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public ChatTemplateException(string message, int line = 0, int column = 0, Exception? innerException = null)
        : base(FormatMessage(message, line, column), innerException)
    {
        Reason = message;
        Line = line;
        Column = column;
    }

    private ChatTemplateException(string message, int line, int column, bool raisedByTemplate)
        : base(message)
    {
        Reason = message;
        Line = line;
        Column = column;
        IsRaisedByTemplate = raisedByTemplate;
    }

    /// <summary>The message without the position suffix (for <c>raise_exception</c>: exactly the template's text).</summary>
    public string Reason { get; }

    /// <summary>1-based line of the offending construct in the template source, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending construct in the template source, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>
    /// True when the template itself called <c>raise_exception(message)</c>; <see cref="Exception.Message"/>
    /// is then exactly the template's message (templates use it to reject unsupported conversations).
    /// </summary>
    public bool IsRaisedByTemplate { get; }

    internal static ChatTemplateException Raised(string message, int line, int column) => new(message, line, column, true);

    private static string FormatMessage(string message, int line, int column)
        => line > 0 ? $"{message} (line {line}, column {column})" : message;
}
