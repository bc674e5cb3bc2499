namespace OnnxLlm.Templates;

/// <summary>Base of all template body nodes.</summary>
internal abstract record Node(int Line, int Column);

/// <summary>Literal output text.</summary>
internal sealed record TextNode(string Text, int Line, int Column) : Node(Line, Column);

/// <summary><c>{{ expr }}</c></summary>
internal sealed record OutputNode(Expr Value, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% if %}...{% elif %}...{% else %}...{% endif %}</c>; elif chains are nested IfNodes in Else.</summary>
internal sealed record IfNode(Expr Test, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int Line, int Column) : Node(Line, Column);

/// <summary>An assignment target: a name, <c>ns.attr</c>, or a tuple of names for unpacking.</summary>
internal abstract record Target(int Line, int Column);

/// <summary>Assign to a variable in the current scope.</summary>
internal sealed record NameTarget(string Name, int Line, int Column) : Target(Line, Column);

/// <summary>Assign to an attribute of a <c>namespace()</c> object.</summary>
internal sealed record NamespaceAttrTarget(string Namespace, string Attribute, int Line, int Column) : Target(Line, Column);

/// <summary>Unpack a sequence into several targets.</summary>
internal sealed record TupleTarget(IReadOnlyList<Target> Items, int Line, int Column) : Target(Line, Column);

/// <summary><c>{% for target in iter [if filter] %}body{% else %}else{% endfor %}</c></summary>
internal sealed record ForNode(Target Target, Expr Iterable, Expr? Filter, IReadOnlyList<Node> Body, IReadOnlyList<Node> Else, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% set target = value %}</c></summary>
internal sealed record SetNode(Target Target, Expr Value, int Line, int Column) : Node(Line, Column);

/// <summary>
/// <c>{% set name [| filters] %}body{% endset %}</c>; <see cref="Filtered"/>, when present, is the filter chain
/// applied to the captured text, which it reads through <see cref="TemplateParser.CapturedBodyName"/>.
/// </summary>
internal sealed record SetBlockNode(Target Target, IReadOnlyList<Node> Body, Expr? Filtered, int Line, int Column) : Node(Line, Column);

/// <summary>One macro parameter with its optional default.</summary>
internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary><c>{% macro name(params) %}body{% endmacro %}</c></summary>
internal sealed record MacroNode(string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<Node> Body, bool UsesVarargs, bool UsesKwargs, int Line, int Column) : Node(Line, Column);

/// <summary>
/// <c>{% filter name(args) %}body{% endfilter %}</c>; <see cref="Filtered"/> is the filter chain applied to the
/// captured body, which it reads through <see cref="TemplateParser.CapturedBodyName"/>.
/// </summary>
internal sealed record FilterBlockNode(Expr Filtered, IReadOnlyList<Node> Body, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% with a = 1 %}body{% endwith %}</c>: a nested scope.</summary>
internal sealed record WithNode(IReadOnlyList<(Target Target, Expr Value)> Assignments, IReadOnlyList<Node> Body, int Line, int Column) : Node(Line, Column);

/// <summary>transformers' <c>{% generation %}</c> tag (assistant-mask tracking); renders its body unchanged.</summary>
internal sealed record GenerationNode(IReadOnlyList<Node> Body, int Line, int Column) : Node(Line, Column);

/// <summary><c>{% break %}</c> (loopcontrols extension).</summary>
internal sealed record BreakNode(int Line, int Column) : Node(Line, Column);

/// <summary><c>{% continue %}</c> (loopcontrols extension).</summary>
internal sealed record ContinueNode(int Line, int Column) : Node(Line, Column);
