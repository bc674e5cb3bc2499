namespace OnnxLlm.Templates;

/// <summary>
/// A variable frame. Jinja2 gives each loop iteration, macro call and <c>with</c> block its own frame whose
/// assignments do not leak outward (which is why templates use <c>namespace()</c>); <c>if</c> shares its frame.
/// Lookups fall back to the enclosing frames, then to the built-in globals.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    private Dictionary<string, object?>? _vars;

    /// <summary>Creates a root frame holding the render variables.</summary>
    public Scope(Dictionary<string, object?> variables)
        : this((Scope?)null) => _vars = variables;

    /// <summary>Finds <paramref name="name"/> in this frame, its ancestors, or the globals.</summary>
    public bool TryGet(string name, out object? value)
    {
        for (Scope? s = this; s is not null; s = s.Parent)
        {
            if (s._vars is not null && s._vars.TryGetValue(name, out value)) return true;
        }

        return BuiltinGlobals.TryGet(name, out value);
    }

    /// <summary>Assigns in this frame (shadowing any outer variable of the same name).</summary>
    public void Set(string name, object? value) => (_vars ??= new(StringComparer.Ordinal))[name] = value;

    private Scope? Parent => parent;
}
