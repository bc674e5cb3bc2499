namespace OnnxLlm.Templates;

/// <summary>A value that a template can call: a global function, a bound method, or a macro.</summary>
internal abstract class JinjaCallable
{
    /// <summary>Name used in error messages.</summary>
    public abstract string Name { get; }

    /// <summary>Invokes the callable with evaluated arguments.</summary>
    public abstract object? Invoke(CallArguments args, TemplateRenderer renderer);
}

/// <summary>A callable backed by a .NET delegate (globals such as <c>range</c> and bound methods such as <c>str.strip</c>).</summary>
internal sealed class BuiltinFunction(string name, Func<CallArguments, TemplateRenderer, object?> body) : JinjaCallable
{
    /// <inheritdoc/>
    public override string Name { get; } = name;

    /// <inheritdoc/>
    public override object? Invoke(CallArguments args, TemplateRenderer renderer) => body(args, renderer);
}
