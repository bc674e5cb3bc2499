using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Tree-walking evaluator for one render call. A new instance is created per render, so a parsed
/// <see cref="ChatTemplate"/> can be rendered concurrently from many threads.
/// </summary>
internal sealed class TemplateRenderer(TimeProvider timeProvider)
{
    /// <summary>Macro recursion limit; deeper recursion would otherwise end the process with a stack overflow.</summary>
    private const int MaxCallDepth = 200;

    private StringBuilder _out = new();
    private int _callDepth;
    private readonly RenderBudget _budget = new();

    /// <summary>Clock for <c>strftime_now</c>.</summary>
    public TimeProvider TimeProvider { get; } = timeProvider;

    /// <summary>Control flow signal from <c>{% break %}</c> / <c>{% continue %}</c>.</summary>
    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    /// <summary>Renders <paramref name="nodes"/> with <paramref name="root"/> as the template frame.</summary>
    public string Render(IReadOnlyList<Node> nodes, Scope root)
    {
        ExecBlock(nodes, root);
        return _out.ToString();
    }

    /// <summary>Renders a macro body into its own buffer and returns the text.</summary>
    public string RenderMacroBody(MacroNode node, Scope scope)
    {
        if (++_callDepth > MaxCallDepth) throw new TemplateError($"macro '{node.Name}' recursed more than {MaxCallDepth} levels");
        try
        {
            return Capture(node.Body, scope, out _);
        }
        finally
        {
            _callDepth--;
        }
    }

    private string Capture(IReadOnlyList<Node> body, Scope scope, out Flow flow)
    {
        var saved = _out;
        _out = new StringBuilder();
        try
        {
            flow = ExecBlock(body, scope);
            return _out.ToString();
        }
        finally
        {
            _out = saved;
        }
    }

    private Flow ExecBlock(IReadOnlyList<Node> nodes, Scope scope)
    {
        foreach (Node node in nodes)
        {
            Flow flow;
            try
            {
                _budget.Enter();
                try
                {
                    flow = Exec(node, scope);
                }
                finally
                {
                    _budget.Leave();
                }

                TemplateLimits.CheckLength(_out.Length, "the rendered text");
            }
            catch (TemplateError ex)
            {
                throw Wrap(ex, node.Line, node.Column);
            }

            if (flow != Flow.Normal) return flow;
        }

        return Flow.Normal;
    }

    private static ChatTemplateException Wrap(TemplateError ex, int line, int column)
        => ex.RaisedByTemplate ? ChatTemplateException.Raised(ex.Message, line, column) : new ChatTemplateException(ex.Message, line, column, ex);

    private Flow Exec(Node node, Scope scope)
    {
        switch (node)
        {
            case TextNode t:
                _out.Append(t.Text);
                return Flow.Normal;
            case OutputNode o:
            {
                object? value = Eval(o.Value, scope);
                try
                {
                    _out.Append(PyRepr.Str(value));
                }
                catch (TemplateError ex)
                {
                    throw Wrap(ex, o.Value.Line, o.Value.Column);
                }

                return Flow.Normal;
            }

            case IfNode i:
                return ExecBlock(PyOps.IsTruthy(Eval(i.Test, scope)) ? i.Body : i.Else, scope);
            case ForNode f:
                return ExecFor(f, scope);
            case SetNode s:
                Assign(s.Target, Eval(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode sb:
            {
                string text = Capture(sb.Body, scope, out Flow flow);
                Assign(sb.Target, ApplyBlockFilter(sb.Filtered, text, scope), scope);
                return flow;
            }

            case FilterBlockNode fb:
            {
                string text = Capture(fb.Body, scope, out Flow flow);
                _out.Append(PyRepr.Str(ApplyBlockFilter(fb.Filtered, text, scope)));
                return flow;
            }

            case MacroNode m:
                scope.Set(m.Name, new MacroFunction(m, scope));
                return Flow.Normal;
            case WithNode w:
            {
                var values = w.Assignments.Select(a => Eval(a.Value, scope)).ToList();
                var inner = new Scope(scope);
                for (int i = 0; i < values.Count; i++) Assign(w.Assignments[i].Target, values[i], inner);
                return ExecBlock(w.Body, inner);
            }

            case GenerationNode g:
                return ExecBlock(g.Body, scope);
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw new TemplateError($"internal error: unknown node {node.GetType().Name}");
        }
    }

    private object? ApplyBlockFilter(Expr? filtered, string text, Scope scope)
    {
        if (filtered is null) return text;
        var inner = new Scope(scope);
        inner.Set(TemplateParser.CapturedBodyName, text);
        return Eval(filtered, inner);
    }

    private Flow ExecFor(ForNode f, Scope scope)
    {
        object? iterable = Eval(f.Iterable, scope);
        List<object?> items;
        try
        {
            items = PyOps.Iterate(iterable);
        }
        catch (TemplateError ex)
        {
            throw Wrap(ex, f.Iterable.Line, f.Iterable.Column);
        }

        if (f.Filter is not null)
        {
            // The inline filter sees the loop target but not `loop`; loop.length counts only kept items.
            items = items.FindAll(item =>
            {
                var probe = new Scope(scope);
                Assign(f.Target, item, probe);
                return PyOps.IsTruthy(Eval(f.Filter, probe));
            });
        }

        if (items.Count == 0) return ExecBlock(f.Else, scope);
        var loop = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            var iteration = new Scope(scope);
            loop.Index0 = i;
            Assign(f.Target, items[i], iteration);
            iteration.Set("loop", loop);
            if (ExecBlock(f.Body, iteration) == Flow.Break) break;
        }

        return Flow.Normal;
    }

    private static void Assign(Target target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget n:
                scope.Set(n.Name, value);
                break;
            case NamespaceAttrTarget na:
                if (!scope.TryGet(na.Namespace, out object? ns) || ns is not JinjaNamespace jns)
                {
                    throw new ChatTemplateException("cannot assign attribute on non-namespace object", na.Line, na.Column);
                }

                jns.Attributes[na.Attribute] = value;
                break;
            case TupleTarget t:
            {
                List<object?> items;
                try
                {
                    items = PyOps.Iterate(value);
                }
                catch (TemplateError ex)
                {
                    throw Wrap(ex, t.Line, t.Column);
                }

                if (items.Count != t.Items.Count)
                {
                    string msg = items.Count > t.Items.Count
                        ? $"too many values to unpack (expected {t.Items.Count})"
                        : $"not enough values to unpack (expected {t.Items.Count}, got {items.Count})";
                    throw new ChatTemplateException(msg, t.Line, t.Column);
                }

                for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], scope);
                break;
            }
        }
    }

    /// <summary>Evaluates an expression; value-level errors are reported at this expression's position.</summary>
    public object? Eval(Expr e, Scope scope)
    {
        try
        {
            _budget.Enter();
            try
            {
                return EvalCore(e, scope);
            }
            finally
            {
                _budget.Leave();
            }
        }
        catch (TemplateError ex)
        {
            throw Wrap(ex, e.Line, e.Column);
        }
    }

    private object? EvalCore(Expr e, Scope scope)
    {
        switch (e)
        {
            case ConstExpr c:
                return c.Value;
            case NameExpr n:
                return scope.TryGet(n.Name, out object? v) ? v : Undefined.ForName(n.Name);
            case ListExpr l:
                return l.Items.Select(i => Eval(i, scope)).ToList();
            case TupleExpr t:
                return new PyTuple(t.Items.Select(i => Eval(i, scope)).ToList());
            case DictExpr d:
            {
                var dict = new PyDict();
                foreach (var (k, val) in d.Items) dict.Set(Eval(k, scope), Eval(val, scope));
                return dict;
            }

            case GetAttrExpr ga:
                return PyOps.GetAttr(Eval(ga.Target, scope), ga.Name);
            case GetItemExpr gi:
            {
                object? target = Eval(gi.Target, scope);
                if (gi.Key is SliceExpr s)
                {
                    return PyOps.Slice(
                        target,
                        s.Start is null ? null : Eval(s.Start, scope),
                        s.Stop is null ? null : Eval(s.Stop, scope),
                        s.Step is null ? null : Eval(s.Step, scope));
                }

                return PyOps.GetItem(target, Eval(gi.Key, scope));
            }

            case CallExpr call:
            {
                object? callee = Eval(call.Callee, scope);
                var args = EvalArgs(call.Args, scope);
                return callee switch
                {
                    JinjaCallable fn => fn.Invoke(args, this),
                    Undefined u => throw u.Fail(),
                    _ => throw new TemplateError($"'{PyOps.TypeName(callee)}' object is not callable"),
                };
            }

            case FilterExpr f:
                return f.Function(Eval(f.Value, scope), EvalArgs(f.Args, scope), this);
            case TestExpr t:
                return t.Function(Eval(t.Value, scope), EvalArgs(t.Args, scope), this);
            case NotExpr n:
                return !PyOps.IsTruthy(Eval(n.Operand, scope));
            case UnaryExpr u:
                return PyOps.Unary(u.Op, Eval(u.Operand, scope));
            case BinaryExpr b:
                return PyOps.Binary(b.Op, Eval(b.Left, scope), Eval(b.Right, scope));
            case ConcatExpr c:
            {
                string left = PyRepr.Str(Eval(c.Left, scope)), right = PyRepr.Str(Eval(c.Right, scope));
                TemplateLimits.CheckLength((long)left.Length + right.Length, "a concatenated string");
                return left + right;
            }
            case LogicalExpr lg:
            {
                object? left = Eval(lg.Left, scope);
                bool truthy = PyOps.IsTruthy(left);
                return lg.IsAnd ? (truthy ? Eval(lg.Right, scope) : left) : (truthy ? left : Eval(lg.Right, scope));
            }

            case CompareExpr cmp:
            {
                object? left = Eval(cmp.First, scope);
                foreach (var (op, operand) in cmp.Rest)
                {
                    object? right = Eval(operand, scope);
                    if (!PyOps.CompareOp(op, left, right)) return false;
                    left = right;
                }

                return true;
            }

            case CondExpr ce:
                return PyOps.IsTruthy(Eval(ce.Test, scope))
                    ? Eval(ce.Then, scope)
                    : ce.Else is null ? Undefined.Instance : Eval(ce.Else, scope);
            case SliceExpr:
                throw new TemplateError("slice expressions are only valid inside []");
            default:
                throw new TemplateError($"internal error: unknown expression {e.GetType().Name}");
        }
    }

    private CallArguments EvalArgs(ArgList args, Scope scope)
    {
        if (args.Positional.Count == 0 && args.Named.Count == 0) return new CallArguments([], []);
        var positional = args.Positional.Select(a => Eval(a, scope)).ToList();
        var named = args.Named.Select(kv => new KeyValuePair<string, object?>(kv.Name, Eval(kv.Value, scope))).ToList();
        return new CallArguments(positional, named);
    }
}
