namespace OnnxLlm.Templates;

/// <summary>Base of all expression nodes; carries the source position used in runtime error messages.</summary>
internal abstract record Expr(int Line, int Column);

/// <summary>A literal: string, long, double, bool or null (None).</summary>
internal sealed record ConstExpr(object? Value, int Line, int Column) : Expr(Line, Column);

/// <summary>A variable reference.</summary>
internal sealed record NameExpr(string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>[a, b]</c></summary>
internal sealed record ListExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

/// <summary><c>(a, b)</c> or a bare <c>a, b</c>.</summary>
internal sealed record TupleExpr(IReadOnlyList<Expr> Items, int Line, int Column) : Expr(Line, Column);

/// <summary><c>{k: v}</c>; keys are expressions, insertion order is kept as in Python.</summary>
internal sealed record DictExpr(IReadOnlyList<(Expr Key, Expr Value)> Items, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj.name</c>: Jinja2 tries the Python attribute first, then the item.</summary>
internal sealed record GetAttrExpr(Expr Target, string Name, int Line, int Column) : Expr(Line, Column);

/// <summary><c>obj[key]</c>: Jinja2 tries the item first, then the attribute.</summary>
internal sealed record GetItemExpr(Expr Target, Expr Key, int Line, int Column) : Expr(Line, Column);

/// <summary><c>start:stop:step</c> inside a subscript; each part may be absent.</summary>
internal sealed record SliceExpr(Expr? Start, Expr? Stop, Expr? Step, int Line, int Column) : Expr(Line, Column);

/// <summary>Call arguments: positional then keyword, as written.</summary>
internal sealed record ArgList(IReadOnlyList<Expr> Positional, IReadOnlyList<(string Name, Expr Value)> Named)
{
    public static readonly ArgList Empty = new([], []);
}

/// <summary><c>f(args)</c></summary>
internal sealed record CallExpr(Expr Callee, ArgList Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value | name(args)</c>; the filter is resolved at parse time so unknown filters fail early.</summary>
internal sealed record FilterExpr(Expr Value, string Name, FilterFunction Function, ArgList Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>value is [not] name args</c>; negation is a separate <see cref="NotExpr"/>.</summary>
internal sealed record TestExpr(Expr Value, string Name, TestFunction Function, ArgList Args, int Line, int Column) : Expr(Line, Column);

/// <summary><c>not x</c></summary>
internal sealed record NotExpr(Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary>Unary <c>-x</c> or <c>+x</c>.</summary>
internal sealed record UnaryExpr(string Op, Expr Operand, int Line, int Column) : Expr(Line, Column);

/// <summary>Arithmetic binary operators: <c>+ - * / // % **</c>.</summary>
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary><c>a ~ b</c>: string concatenation of both sides' <c>str()</c>.</summary>
internal sealed record ConcatExpr(Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary>Short-circuit <c>and</c> / <c>or</c>, returning an operand as Python does.</summary>
internal sealed record LogicalExpr(bool IsAnd, Expr Left, Expr Right, int Line, int Column) : Expr(Line, Column);

/// <summary>A (possibly chained) comparison: <c>a &lt; b &lt;= c</c>, including <c>in</c> and <c>not in</c>.</summary>
internal sealed record CompareExpr(Expr First, IReadOnlyList<(string Op, Expr Operand)> Rest, int Line, int Column) : Expr(Line, Column);

/// <summary><c>a if cond else b</c>; a missing else yields undefined.</summary>
internal sealed record CondExpr(Expr Test, Expr Then, Expr? Else, int Line, int Column) : Expr(Line, Column);
