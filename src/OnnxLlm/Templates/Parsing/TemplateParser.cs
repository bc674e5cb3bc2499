using System.Globalization;

namespace OnnxLlm.Templates;

/// <summary>
/// Recursive-descent parser producing the template AST, following Jinja2 3.1's grammar and operator precedence
/// (<c>parser.py</c>): condexpr &lt; or &lt; and &lt; not &lt; compare &lt; +,- &lt; ~ &lt; *,/,//,% &lt; ** &lt;
/// unary &lt; postfix/filters/tests. Unsupported tags, filters and tests are rejected here with their position.
/// </summary>
internal sealed class TemplateParser
{
    /// <summary>
    /// Variable name (not a valid identifier, so templates cannot touch it) through which the filter chain of a
    /// <c>{% filter %}</c> or filtered <c>{% set %}</c> block reads the captured body text.
    /// </summary>
    public const string CapturedBodyName = "\0body";

    private static readonly HashSet<string> UnsupportedTags =
        ["include", "extends", "import", "from", "block", "call", "autoescape", "do", "trans", "pluralize", "print", "debug"];

    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", "<=", ">", ">="];

    private readonly List<Token> _tokens;
    private int _pos;
    private int _loopDepth;
    private int _nesting;
    private readonly Stack<HashSet<string>> _namesUsed = new();

    private TemplateParser(List<Token> tokens) => _tokens = tokens;

    /// <summary>Parses a complete template.</summary>
    public static IReadOnlyList<Node> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var nodes = parser.SubParse([], null);
        return nodes;
    }

    private Token Current => _tokens[_pos];

    private Token Peek => _pos + 1 < _tokens.Count ? _tokens[_pos + 1] : _tokens[^1];

    private Token Next() => _tokens[_pos++];

    private static ChatTemplateException Error(string message, Token at) => new(message, at.Line, at.Column);

    private Token Expect(TokenKind kind, string? value = null)
    {
        Token t = Current;
        if (t.Kind != kind || (value is not null && t.Value != value))
        {
            string expected = value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.Name => "a name",
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                _ => kind.ToString(),
            };
            throw Error($"Expected {expected}, got {t.Describe()}", t);
        }

        return Next();
    }

    private void ExpectBlockEnd() => Expect(TokenKind.BlockEnd);

    /// <summary>
    /// Runs one level of recursive descent, refusing to go deeper than <see cref="TemplateLimits.MaxNestingDepth"/>:
    /// a hostile template of ten thousand '(' or nested blocks would otherwise overflow the stack, ending the process.
    /// </summary>
    private T Nested<T>(Func<T> parse)
    {
        if (_nesting >= TemplateLimits.MaxNestingDepth)
            throw Error($"The template nests more than {TemplateLimits.MaxNestingDepth} levels deep", Current);
        _nesting++;
        try
        {
            return parse();
        }
        finally
        {
            _nesting--;
        }
    }

    private bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        _pos++;
        return true;
    }

    private bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        _pos++;
        return true;
    }

    /// <summary>
    /// Parses nodes until a block tag whose name is in <paramref name="endTags"/>; leaves the parser on that name
    /// token. <paramref name="opener"/> names the enclosing block for "unclosed block" errors.
    /// </summary>
    private List<Node> SubParse(string[] endTags, Token? opener) => Nested(() => SubParseCore(endTags, opener));

    private List<Node> SubParseCore(string[] endTags, Token? opener)
    {
        var nodes = new List<Node>();
        while (true)
        {
            Token t = Current;
            switch (t.Kind)
            {
                case TokenKind.Data:
                    nodes.Add(new TextNode(t.Value, t.Line, t.Column));
                    _pos++;
                    break;
                case TokenKind.VariableBegin:
                    _pos++;
                    var expr = ParseTuple();
                    Expect(TokenKind.VariableEnd);
                    nodes.Add(new OutputNode(expr, t.Line, t.Column));
                    break;
                case TokenKind.BlockBegin:
                    _pos++;
                    if (Current.Kind == TokenKind.Name && endTags.Contains(Current.Value)) return nodes;
                    nodes.Add(ParseStatement(t));
                    break;
                case TokenKind.Eof:
                    if (endTags.Length > 0)
                    {
                        string looking = string.Join(" or ", endTags.Select(e => $"'{e}'"));
                        throw Error($"Unexpected end of template; expected {looking} to close the '{opener?.Value}' block opened at line {opener?.Line}", t);
                    }

                    return nodes;
                default:
                    throw Error($"Unexpected {t.Describe()}", t);
            }
        }
    }

    private Node ParseStatement(Token blockBegin)
    {
        Token tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"Expected a tag name after '{{%', got {tag.Describe()}", tag);
        switch (tag.Value)
        {
            case "if": _pos++; return ParseIf(tag);
            case "for": _pos++; return ParseFor(tag);
            case "set": _pos++; return ParseSet(tag);
            case "macro": _pos++; return ParseMacro(tag);
            case "filter": _pos++; return ParseFilterBlock(tag);
            case "with": _pos++; return ParseWith(tag);
            case "generation":
            {
                _pos++;
                ExpectBlockEnd();
                var body = SubParse(["endgeneration"], tag);
                _pos++;
                ExpectBlockEnd();
                return new GenerationNode(body, tag.Line, tag.Column);
            }

            case "break":
            case "continue":
                if (_loopDepth == 0) throw Error($"'{{% {tag.Value} %}}' outside of a loop", tag);
                _pos++;
                ExpectBlockEnd();
                return tag.Value == "break" ? new BreakNode(tag.Line, tag.Column) : new ContinueNode(tag.Line, tag.Column);
        }

        if (UnsupportedTags.Contains(tag.Value) || tag.Value.StartsWith("end", StringComparison.Ordinal) && UnsupportedTags.Contains(tag.Value[3..]))
        {
            throw Error($"Unsupported template construct '{{% {tag.Value} %}}'", tag);
        }

        if (tag.Value is "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endfilter" or "endwith" or "endgeneration" or "endraw")
        {
            throw Error($"Unexpected '{{% {tag.Value} %}}' without a matching opening tag", tag);
        }

        throw Error($"Unsupported template construct: unknown tag '{{% {tag.Value} %}}'", tag);
    }

    private IfNode ParseIf(Token tag)
    {
        var test = ParseTuple(withCondExpr: false);
        ExpectBlockEnd();
        var body = SubParse(["elif", "else", "endif"], tag);
        Token end = Next();
        List<Node> elseBody;
        switch (end.Value)
        {
            case "elif":
                elseBody = [ParseIf(end)];
                break;
            case "else":
                ExpectBlockEnd();
                elseBody = SubParse(["endif"], tag);
                _pos++;
                ExpectBlockEnd();
                break;
            default:
                ExpectBlockEnd();
                elseBody = [];
                break;
        }

        return new IfNode(test, body, elseBody, tag.Line, tag.Column);
    }

    private ForNode ParseFor(Token tag)
    {
        var target = ParseAssignTarget(withNamespace: false);
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(withCondExpr: false, extraEnd: "recursive");
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        if (Current.IsName("recursive")) throw Error("Unsupported template construct: recursive for loops", Current);
        ExpectBlockEnd();
        _loopDepth++;
        var body = SubParse(["endfor", "else"], tag);
        _loopDepth--;
        List<Node> elseBody = [];
        if (Next().Value == "else")
        {
            ExpectBlockEnd();
            elseBody = SubParse(["endfor"], tag);
            _pos++;
        }

        ExpectBlockEnd();
        return new ForNode(target, iterable, filter, body, elseBody, tag.Line, tag.Column);
    }

    private Node ParseSet(Token tag)
    {
        var target = ParseAssignTarget(withNamespace: true);
        if (SkipOperator("="))
        {
            var value = ParseTuple();
            ExpectBlockEnd();
            return new SetNode(target, value, tag.Line, tag.Column);
        }

        Expr? filtered = null;
        if (Current.IsOperator("|"))
        {
            filtered = ParseFilters(new NameExpr(CapturedBodyName, tag.Line, tag.Column), startInline: false);
        }

        ExpectBlockEnd();
        var body = SubParse(["endset"], tag);
        _pos++;
        ExpectBlockEnd();
        return new SetBlockNode(target, body, filtered, tag.Line, tag.Column);
    }

    private MacroNode ParseMacro(Token tag)
    {
        string name = ExpectIdentifier().Value;
        Expect(TokenKind.Operator, "(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOperator(")")) break;
            Token p = ExpectIdentifier();
            Expr? def = SkipOperator("=") ? ParseExpression() : null;
            if (def is null && parameters.Count > 0 && parameters[^1].Default is not null)
            {
                throw Error("non-default argument follows default argument", p);
            }

            parameters.Add(new MacroParameter(p.Value, def));
        }

        _pos++;
        ExpectBlockEnd();
        int savedLoopDepth = _loopDepth;
        _loopDepth = 0;
        _namesUsed.Push([]);
        var body = SubParse(["endmacro"], tag);
        var used = _namesUsed.Pop();
        _loopDepth = savedLoopDepth;
        _pos++;
        ExpectBlockEnd();
        return new MacroNode(name, parameters, body, used.Contains("varargs"), used.Contains("kwargs"), tag.Line, tag.Column);
    }

    private FilterBlockNode ParseFilterBlock(Token tag)
    {
        var filtered = ParseFilters(new NameExpr(CapturedBodyName, tag.Line, tag.Column), startInline: true);
        ExpectBlockEnd();
        var body = SubParse(["endfilter"], tag);
        _pos++;
        ExpectBlockEnd();
        return new FilterBlockNode(filtered, body, tag.Line, tag.Column);
    }

    private WithNode ParseWith(Token tag)
    {
        var assignments = new List<(Target, Expr)>();
        while (Current.Kind != TokenKind.BlockEnd)
        {
            if (assignments.Count > 0) Expect(TokenKind.Operator, ",");
            var target = ParseAssignTarget(withNamespace: false);
            Expect(TokenKind.Operator, "=");
            assignments.Add((target, ParseExpression()));
        }

        ExpectBlockEnd();
        var body = SubParse(["endwith"], tag);
        _pos++;
        ExpectBlockEnd();
        return new WithNode(assignments, body, tag.Line, tag.Column);
    }

    private Token ExpectIdentifier()
    {
        Token t = Expect(TokenKind.Name);
        if (t.Value is "true" or "false" or "none" or "True" or "False" or "None")
        {
            throw Error($"Cannot assign to '{t.Value}'", t);
        }

        return t;
    }

    /// <summary>Assignment target: <c>name</c>, <c>ns.attr</c> (set only), or names separated by commas.</summary>
    private Target ParseAssignTarget(bool withNamespace)
    {
        Token first = Current;
        if (withNamespace && first.Kind == TokenKind.Name && Peek.IsOperator("."))
        {
            _pos += 2;
            Token attr = Expect(TokenKind.Name);
            return new NamespaceAttrTarget(first.Value, attr.Value, first.Line, first.Column);
        }

        var items = new List<Target> { ParseSimpleTarget() };
        if (!Current.IsOperator(",")) return items[0];
        while (SkipOperator(","))
        {
            if (Current.IsName("in") || Current.IsOperator("=") || Current.Kind == TokenKind.BlockEnd) break;
            items.Add(ParseSimpleTarget());
        }

        return new TupleTarget(items, first.Line, first.Column);
    }

    private Target ParseSimpleTarget()
    {
        Token t = Current;
        if (SkipOperator("("))
        {
            var inner = ParseAssignTarget(withNamespace: false);
            Expect(TokenKind.Operator, ")");
            return inner is TupleTarget ? inner : new TupleTarget([inner], t.Line, t.Column);
        }

        Token name = ExpectIdentifier();
        return new NameTarget(name.Value, name.Line, name.Column);
    }

    // ---------------------------------------------------------------- expressions

    private bool IsTupleEnd(string? extraEnd)
        => Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof
           || Current.IsOperator(")") || (extraEnd is not null && Current.IsName(extraEnd));

    /// <summary>An expression or a bare comma-separated tuple (<c>{{ a, b }}</c>, <c>{% set x = 1, 2 %}</c>).</summary>
    private Expr ParseTuple(bool withCondExpr = true, string? extraEnd = null, bool explicitParens = false)
    {
        Token start = Current;
        var items = new List<Expr>();
        bool sawComma = false;
        while (true)
        {
            if (items.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                sawComma = true;
            }

            if (IsTupleEnd(extraEnd)) break;
            items.Add(withCondExpr ? ParseExpression() : ParseOr());
            if (!Current.IsOperator(",")) break;
        }

        if (!sawComma)
        {
            if (items.Count == 1) return items[0];
            if (!explicitParens) throw Error($"Expected an expression, got {Current.Describe()}", Current);
        }

        return new TupleExpr(items, start.Line, start.Column);
    }

    private Expr ParseExpression() => Nested(() => ParseExpressionCore());

    private Expr ParseExpressionCore()
    {
        Expr expr = ParseOr();
        while (Current.IsName("if"))
        {
            Token t = Next();
            Expr test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseExpression() : null;
            expr = new CondExpr(test, expr, otherwise, t.Line, t.Column);
        }

        return expr;
    }

    private Expr ParseOr()
    {
        Expr left = ParseAnd();
        while (Current.IsName("or"))
        {
            Token t = Next();
            left = new LogicalExpr(false, left, ParseAnd(), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParseAnd()
    {
        Expr left = ParseNot();
        while (Current.IsName("and"))
        {
            Token t = Next();
            left = new LogicalExpr(true, left, ParseNot(), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParseNot() => Nested(() => ParseNotCore());

    private Expr ParseNotCore()
    {
        if (Current.IsName("not"))
        {
            Token t = Next();
            return new NotExpr(ParseNot(), t.Line, t.Column);
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        Token start = Current;
        Expr first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && CompareOps.Contains(Current.Value))
            {
                string op = Next().Value;
                rest.Add((op, ParseMath1()));
            }
            else if (Current.IsName("in"))
            {
                _pos++;
                rest.Add(("in", ParseMath1()));
            }
            else if (Current.IsName("not") && Peek.IsName("in"))
            {
                _pos += 2;
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }

        return rest.Count == 0 ? first : new CompareExpr(first, rest, start.Line, start.Column);
    }

    private Expr ParseMath1()
    {
        Expr left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            Token t = Next();
            left = new BinaryExpr(t.Value, left, ParseConcat(), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParseConcat()
    {
        Expr left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            Token t = Next();
            left = new ConcatExpr(left, ParseMath2(), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParseMath2()
    {
        Expr left = ParsePow();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            Token t = Next();
            left = new BinaryExpr(t.Value, left, ParsePow(), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParsePow()
    {
        // Jinja2 parses ** left-associatively (2 ** 3 ** 2 == 64), unlike Python.
        Expr left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            Token t = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilter: true), t.Line, t.Column);
        }

        return left;
    }

    private Expr ParseUnary(bool withFilter) => Nested(() => ParseUnaryCore(withFilter));

    private Expr ParseUnaryCore(bool withFilter)
    {
        Token t = Current;
        Expr node;
        if (t.IsOperator("-") || t.IsOperator("+"))
        {
            _pos++;
            node = new UnaryExpr(t.Value, ParseUnary(withFilter: false), t.Line, t.Column);
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    private Expr ParsePrimary() => Nested(() => ParsePrimaryCore());

    private Expr ParsePrimaryCore()
    {
        Token t = Current;
        switch (t.Kind)
        {
            case TokenKind.Name:
                _pos++;
                switch (t.Value)
                {
                    case "true" or "True": return new ConstExpr(true, t.Line, t.Column);
                    case "false" or "False": return new ConstExpr(false, t.Line, t.Column);
                    case "none" or "None": return new ConstExpr(null, t.Line, t.Column);
                }

                if (_namesUsed.Count > 0) _namesUsed.Peek().Add(t.Value);
                return new NameExpr(t.Value, t.Line, t.Column);
            case TokenKind.String:
            {
                // Adjacent string literals concatenate, as in Python.
                string s = Next().Value;
                while (Current.Kind == TokenKind.String) s += Next().Value;
                return new ConstExpr(s, t.Line, t.Column);
            }

            case TokenKind.Integer:
                _pos++;
                return new ConstExpr(long.Parse(t.Value, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Float:
                _pos++;
                return new ConstExpr(double.Parse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture), t.Line, t.Column);
            case TokenKind.Operator when t.Value == "(":
            {
                _pos++;
                Expr inner = ParseTuple(explicitParens: true);
                Expect(TokenKind.Operator, ")");
                return inner;
            }

            case TokenKind.Operator when t.Value == "[":
            {
                _pos++;
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOperator("]")) break;
                    items.Add(ParseExpression());
                }

                _pos++;
                return new ListExpr(items, t.Line, t.Column);
            }

            case TokenKind.Operator when t.Value == "{":
            {
                _pos++;
                var items = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOperator("}")) break;
                    Expr key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    items.Add((key, ParseExpression()));
                }

                _pos++;
                return new DictExpr(items, t.Line, t.Column);
            }

            default:
                throw Error($"Unexpected {t.Describe()} in expression", t);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            Token t = Current;
            if (t.IsOperator("."))
            {
                _pos++;
                Token attr = Current;
                if (attr.Kind == TokenKind.Name)
                {
                    _pos++;
                    node = new GetAttrExpr(node, attr.Value, attr.Line, attr.Column);
                }
                else if (attr.Kind == TokenKind.Integer)
                {
                    _pos++;
                    node = new GetItemExpr(node, new ConstExpr(long.Parse(attr.Value, CultureInfo.InvariantCulture), attr.Line, attr.Column), attr.Line, attr.Column);
                }
                else
                {
                    throw Error($"Expected an attribute name after '.', got {attr.Describe()}", attr);
                }
            }
            else if (t.IsOperator("["))
            {
                _pos++;
                var args = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (args.Count > 0) Expect(TokenKind.Operator, ",");
                    args.Add(ParseSubscribed());
                }

                _pos++;
                Expr key = args.Count == 1 ? args[0] : new TupleExpr(args, t.Line, t.Column);
                if (args.Count == 0) throw Error("Expected a subscript expression", t);
                node = new GetItemExpr(node, key, t.Line, t.Column);
            }
            else if (t.IsOperator("("))
            {
                node = ParseCall(node);
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscribed()
    {
        Token t = Current;
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (!Current.IsOperator(":")) return start;
        }

        _pos++; // ':'
        Expr? stop = Current.IsOperator(":") || Current.IsOperator("]") || Current.IsOperator(",") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOperator(":"))
        {
            step = Current.IsOperator("]") || Current.IsOperator(",") ? null : ParseExpression();
        }

        return new SliceExpr(start, stop, step, t.Line, t.Column);
    }

    private CallExpr ParseCall(Expr callee)
    {
        Token t = Current;
        return new CallExpr(callee, ParseCallArgs(), t.Line, t.Column);
    }

    private ArgList ParseCallArgs()
    {
        Token open = Expect(TokenKind.Operator, "(");
        var positional = new List<Expr>();
        var named = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + named.Count > 0)
            {
                Expect(TokenKind.Operator, ",");
                if (Current.IsOperator(")")) break;
            }

            if (Current.IsOperator("*") || Current.IsOperator("**"))
            {
                throw Error("Unsupported template construct: *args / **kwargs in calls", Current);
            }

            if (Current.Kind == TokenKind.Name && Peek.IsOperator("="))
            {
                string name = Next().Value;
                _pos++;
                named.Add((name, ParseExpression()));
            }
            else
            {
                if (named.Count > 0) throw Error("Positional argument follows keyword argument", Current);
                positional.Add(ParseExpression());
            }
        }

        _pos++;
        return positional.Count == 0 && named.Count == 0 ? ArgList.Empty : new ArgList(positional, named);
    }

    private Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|")) node = ParseFilters(node, startInline: false);
            else if (Current.IsName("is")) node = ParseTest(node);
            else if (Current.IsOperator("(")) node = ParseCall(node);
            else return node;
        }
    }

    /// <summary>One or more <c>| name(args)</c>; with <paramref name="startInline"/> the first has no pipe.</summary>
    private Expr ParseFilters(Expr node, bool startInline)
    {
        while (Current.IsOperator("|") || startInline)
        {
            if (!startInline) _pos++;
            startInline = false;
            Token nameTok = Expect(TokenKind.Name);
            string name = nameTok.Value;
            while (Current.IsOperator("."))
            {
                _pos++;
                name += "." + Expect(TokenKind.Name).Value;
            }

            if (!BuiltinFilters.TryGet(name, out FilterFunction fn))
            {
                throw Error($"Unsupported template construct: unknown filter '{name}'", nameTok);
            }

            ArgList args = Current.IsOperator("(") ? ParseCallArgs() : ArgList.Empty;
            node = new FilterExpr(node, name, fn, args, nameTok.Line, nameTok.Column);
        }

        return node;
    }

    private Expr ParseTest(Expr node)
    {
        Token isTok = Next();
        bool negated = SkipName("not");
        Token nameTok = Expect(TokenKind.Name);
        string name = nameTok.Value;
        while (Current.IsOperator("."))
        {
            _pos++;
            name += "." + Expect(TokenKind.Name).Value;
        }

        if (!BuiltinTests.TryGet(name, out TestFunction fn))
        {
            throw Error($"Unsupported template construct: unknown test '{name}'", nameTok);
        }

        ArgList args = ArgList.Empty;
        Token c = Current;
        if (c.IsOperator("("))
        {
            args = ParseCallArgs();
        }
        else if ((c.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || c.IsOperator("[") || c.IsOperator("{"))
                 && !c.IsName("else") && !c.IsName("or") && !c.IsName("and"))
        {
            if (c.IsName("is")) throw Error("You cannot chain multiple tests with is", c);
            // Jinja2 allows one argument without parentheses: "x is divisibleby 3", "x is in list".
            args = new ArgList([ParsePostfix(ParsePrimary())], []);
        }

        Expr test = new TestExpr(node, name, fn, args, nameTok.Line, nameTok.Column);
        return negated ? new NotExpr(test, isTok.Line, isTok.Column) : test;
    }
}
