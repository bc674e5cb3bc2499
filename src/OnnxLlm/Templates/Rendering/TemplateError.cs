namespace OnnxLlm.Templates;

/// <summary>
/// A runtime failure raised by value operations that do not know their template position; the renderer turns it
/// into a <see cref="ChatTemplateException"/> carrying the line and column of the expression being evaluated.
/// </summary>
internal sealed class TemplateError(string message, bool raisedByTemplate = false) : Exception(message)
{
    /// <summary>True for <c>raise_exception(...)</c> called by the template itself.</summary>
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
