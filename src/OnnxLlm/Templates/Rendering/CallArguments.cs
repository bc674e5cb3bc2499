namespace OnnxLlm.Templates;

/// <summary>Evaluated positional and keyword arguments of a call, filter, test or method, with Python-style binding.</summary>
internal sealed class CallArguments
{
    /// <summary>No arguments.</summary>
    public static readonly CallArguments None = new([], []);

    public CallArguments(List<object?> positional, List<KeyValuePair<string, object?>> named)
    {
        Positional = positional;
        Named = named;
    }

    /// <summary>Positional arguments in order.</summary>
    public List<object?> Positional { get; }

    /// <summary>Keyword arguments in order.</summary>
    public List<KeyValuePair<string, object?>> Named { get; }

    /// <summary>Creates positional-only arguments.</summary>
    public static CallArguments Of(params object?[] values) => new([.. values], []);

    /// <summary>
    /// Binds arguments to parameters like a Python signature: positionals fill parameters in order, keywords by
    /// name; a parameter left unset gets its default. Unknown keywords, duplicates or too many positionals fail, so
    /// a template never silently ignores an argument.
    /// </summary>
    /// <param name="function">Name for error messages.</param>
    /// <param name="parameters">Parameter names and defaults; <see cref="Required"/> marks a required one.</param>
    public object?[] Bind(string function, params (string Name, object? Default)[] parameters)
    {
        if (Positional.Count > parameters.Length)
        {
            throw new TemplateError($"{function}() takes at most {parameters.Length} argument(s) ({Positional.Count} given)");
        }

        var result = new object?[parameters.Length];
        var set = new bool[parameters.Length];
        for (int i = 0; i < Positional.Count; i++)
        {
            result[i] = Positional[i];
            set[i] = true;
        }

        foreach (var (name, value) in Named)
        {
            int idx = Array.FindIndex(parameters, p => p.Name == name);
            if (idx < 0) throw new TemplateError($"{function}() got an unexpected keyword argument '{name}'");
            if (set[idx]) throw new TemplateError($"{function}() got multiple values for argument '{name}'");
            result[idx] = value;
            set[idx] = true;
        }

        for (int i = 0; i < parameters.Length; i++)
        {
            if (set[i]) continue;
            if (ReferenceEquals(parameters[i].Default, Required))
            {
                throw new TemplateError($"{function}() missing required argument '{parameters[i].Name}'");
            }

            result[i] = parameters[i].Default;
        }

        return result;
    }

    /// <summary>Sentinel default meaning "this parameter must be given".</summary>
    public static readonly object Required = new();
}
