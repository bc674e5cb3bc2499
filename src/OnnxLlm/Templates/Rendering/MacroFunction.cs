namespace OnnxLlm.Templates;

/// <summary>
/// A <c>{% macro %}</c> bound to the frame it was defined in. Calling it renders the body in a fresh frame and
/// returns the text; missing arguments are undefined, extra ones are only accepted when the body uses
/// <c>varargs</c>/<c>kwargs</c>, as in Jinja2.
/// </summary>
internal sealed class MacroFunction(MacroNode node, Scope closure) : JinjaCallable
{
    /// <inheritdoc/>
    public override string Name => node.Name;

    /// <inheritdoc/>
    public override object? Invoke(CallArguments args, TemplateRenderer renderer)
    {
        var parameters = node.Parameters;
        if (args.Positional.Count > parameters.Count && !node.UsesVarargs)
        {
            throw new TemplateError($"macro '{node.Name}' takes not more than {parameters.Count} argument(s)");
        }

        var scope = new Scope(closure);
        var bound = new bool[parameters.Count];
        for (int i = 0; i < Math.Min(parameters.Count, args.Positional.Count); i++)
        {
            scope.Set(parameters[i].Name, args.Positional[i]);
            bound[i] = true;
        }

        var extraKwargs = new PyDict();
        foreach (var (name, value) in args.Named)
        {
            int idx = -1;
            for (int i = 0; i < parameters.Count; i++)
            {
                if (parameters[i].Name == name) idx = i;
            }

            if (idx >= 0)
            {
                if (bound[idx]) throw new TemplateError($"macro '{node.Name}' got multiple values for argument '{name}'");
                scope.Set(name, value);
                bound[idx] = true;
            }
            else if (node.UsesKwargs)
            {
                extraKwargs.Set(name, value);
            }
            else
            {
                throw new TemplateError($"macro '{node.Name}' takes no keyword argument '{name}'");
            }
        }

        // Defaults are evaluated at call time inside the macro frame, so they may refer to earlier parameters.
        for (int i = 0; i < parameters.Count; i++)
        {
            if (bound[i]) continue;
            scope.Set(parameters[i].Name, parameters[i].Default is { } def ? renderer.Eval(def, scope) : Undefined.ForName(parameters[i].Name));
        }

        scope.Set("varargs", new PyTuple(args.Positional.Count > parameters.Count ? args.Positional[parameters.Count..] : []));
        scope.Set("kwargs", extraKwargs);
        return renderer.RenderMacroBody(node, scope);
    }
}
