using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Python/Jinja2 semantics of the value model: truthiness, equality, ordering, arithmetic, membership, iteration,
/// attribute and item access. Values are null (None), bool, long, double, string, <see cref="List{T}"/> of object,
/// <see cref="PyTuple"/>, <see cref="PyDict"/>, <see cref="JinjaNamespace"/>, <see cref="LoopContext"/>,
/// <see cref="JinjaCallable"/> and <see cref="Undefined"/>.
/// </summary>
internal static class PyOps
{
    /// <summary>Python's type name, for error messages and Jinja2's "'x object' has no attribute" hints.</summary>
    public static string TypeName(object? v) => v switch
    {
        null => "NoneType",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        PyTuple => "tuple",
        PyDict => "dict",
        Undefined => "Undefined",
        JinjaNamespace => "Namespace",
        LoopContext => "LoopContext",
        JinjaCallable => "function",
        PyIterator => "generator",
        PyDictView view => view.Kind,
        _ => v.GetType().Name,
    };

    /// <summary>Python truthiness; undefined is falsy.</summary>
    public static bool IsTruthy(object? v) => v switch
    {
        null => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        PyTuple t => t.Items.Count > 0,
        PyDict d => d.Count > 0,
        PyDictView view => view.Items.Count > 0,
        Undefined => false,
        _ => true,
    };

    /// <summary>True for Python numbers, bool included (bool subclasses int).</summary>
    public static bool IsNumber(object? v) => v is long or double or bool;

    private static bool IsInt(object? v) => v is long or bool;

    private static long AsLong(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new InvalidCastException(),
    };

    /// <summary>Numeric value as double (for mixed int/float arithmetic).</summary>
    public static double AsDouble(object? v) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => d,
        _ => throw new InvalidCastException(),
    };

    /// <summary>Python <c>==</c>: numbers compare by value across int/float/bool; containers element-wise.</summary>
    public static bool PyEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            return IsInt(a) && IsInt(b) ? AsLong(a) == AsLong(b) : AsDouble(a) == AsDouble(b);
        }

        switch (a)
        {
            case string sa: return b is string sb && string.Equals(sa, sb, StringComparison.Ordinal);
            case Undefined: return b is Undefined;
            case List<object?> la:
                return b is List<object?> lb && SequenceEquals(la, lb);
            case PyTuple ta:
                return b is PyTuple tb && SequenceEquals(ta.Items, tb.Items);
            case PyDict da:
                if (b is not PyDict db || da.Count != db.Count) return false;
                foreach (var kv in da.Items)
                {
                    if (!db.TryGet(kv.Key, out object? other) || !PyEquals(kv.Value, other)) return false;
                }

                return true;
            default:
                return ReferenceEquals(a, b);
        }
    }

    private static bool SequenceEquals(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (!PyEquals(a[i], b[i])) return false;
        }

        return true;
    }

    /// <summary>Python ordering (<c>&lt;</c> etc.): numbers, strings by code point, lists/tuples lexicographically.</summary>
    public static int Compare(object? a, object? b, string op = "<")
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b))
        {
            if (IsInt(a) && IsInt(b)) return AsLong(a).CompareTo(AsLong(b));
            double x = AsDouble(a), y = AsDouble(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }

        if (a is string sa && b is string sb) return PyText.CompareCodePoints(sa, sb);
        if ((a is List<object?> && b is List<object?>) || (a is PyTuple && b is PyTuple))
        {
            var la = Sequence(a)!;
            var lb = Sequence(b)!;
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!PyEquals(la[i], lb[i])) return Compare(la[i], lb[i], op);
            }

            return la.Count.CompareTo(lb.Count);
        }

        throw new TemplateError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static IReadOnlyList<object?>? Sequence(object? v) => v switch
    {
        List<object?> l => l,
        PyTuple t => t.Items,
        _ => null,
    };

    /// <summary>Evaluates one comparison operator of a (possibly chained) comparison.</summary>
    public static bool CompareOp(string op, object? a, object? b) => op switch
    {
        "==" => PyEquals(a, b),
        "!=" => !PyEquals(a, b),
        "<" => Compare(a, b, op) < 0,
        "<=" => Compare(a, b, op) <= 0,
        ">" => Compare(a, b, op) > 0,
        ">=" => Compare(a, b, op) >= 0,
        "in" => Contains(b, a),
        "notin" => !Contains(b, a),
        _ => throw new TemplateError($"unknown comparison operator '{op}'"),
    };

    /// <summary>Python <c>item in container</c>.</summary>
    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is Undefined u) throw u.Fail();
                if (item is not string sub) throw new TemplateError($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return s.Contains(sub, StringComparison.Ordinal);
            case List<object?> list: return list.Exists(x => PyEquals(x, item));
            case PyTuple t: return t.Items.Any(x => PyEquals(x, item));
            case PyDict d: return d.ContainsKey(item);
            case Undefined: return false; // iterating Undefined yields nothing
            case PyIterator it: return it.Consume().Exists(x => PyEquals(x, item));
            case PyDictView view: return view.Items.Exists(x => PyEquals(x, item));
            default: throw new TemplateError($"argument of type '{TypeName(container)}' is not iterable");
        }
    }

    /// <summary>Python iteration, materialized: str → characters, dict → keys, undefined → empty.</summary>
    public static List<object?> Iterate(object? v) => v switch
    {
        List<object?> list => [.. list],
        PyTuple t => [.. t.Items],
        PyDict d => [.. d.Keys],
        string s => PyText.CodePoints(s).ConvertAll(c => (object?)c),
        Undefined => [],
        PyIterator it => it.Consume(),
        PyDictView view => [.. view.Items],
        _ => throw new TemplateError($"'{TypeName(v)}' object is not iterable"),
    };

    /// <summary>Python <c>len()</c>; undefined has length 0.</summary>
    public static long Length(object? v) => v switch
    {
        string s => PyText.Length(s),
        List<object?> list => list.Count,
        PyTuple t => t.Items.Count,
        PyDict d => d.Count,
        PyDictView view => view.Items.Count,
        Undefined => 0,
        _ => throw new TemplateError($"object of type '{TypeName(v)}' has no len()"),
    };

    /// <summary>
    /// Jinja2's <c>obj.name</c>: the Python attribute first (e.g. <c>dict.items</c>, <c>str.strip</c>), then the
    /// item <c>obj['name']</c>, else undefined. Accessing anything on an undefined raises.
    /// </summary>
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case JinjaNamespace ns:
                return ns.Attributes.TryGetValue(name, out object? nv) ? nv : Undefined.ForMember(obj, name);
            case LoopContext loop:
                return loop.GetAttribute(name);
        }

        if (BuiltinMethods.TryGetMethod(obj, name, out JinjaCallable? method)) return method;
        if (obj is PyDict dict && dict.TryGet(name, out object? value)) return value;
        return Undefined.ForMember(obj, name);
    }

    /// <summary>Jinja2's <c>obj[key]</c>: the item first, then (for string keys) the attribute, else undefined.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Undefined u: throw u.Fail();
            case PyDict dict:
                if (dict.TryGet(key, out object? value)) return value;
                break;
            case List<object?> or PyTuple or string when IsInt(key):
            {
                long idx = AsLong(key);
                if (obj is string s)
                {
                    var cps = PyText.CodePoints(s);
                    if (idx < 0) idx += cps.Count;
                    return idx >= 0 && idx < cps.Count ? cps[(int)idx] : Undefined.ForMember(obj, key);
                }

                var seq = Sequence(obj)!;
                if (idx < 0) idx += seq.Count;
                return idx >= 0 && idx < seq.Count ? seq[(int)idx] : Undefined.ForMember(obj, key);
            }

            case JinjaNamespace or LoopContext when key is string:
                return GetAttr(obj, (string)key);
        }

        if (key is string name && obj is not JinjaNamespace && BuiltinMethods.TryGetMethod(obj, name, out JinjaCallable? method))
        {
            return method;
        }

        return Undefined.ForMember(obj, key);
    }

    /// <summary>Python slicing <c>obj[start:stop:step]</c> for strings, lists and tuples.</summary>
    public static object? Slice(object? obj, object? start, object? stop, object? step)
    {
        if (obj is Undefined u) throw u.Fail();
        long st = step is null ? 1 : ToIndex(step);
        if (st == 0) throw new TemplateError("slice step cannot be zero");
        IReadOnlyList<object?> items = obj switch
        {
            string s => PyText.CodePoints(s).ConvertAll(c => (object?)c),
            List<object?> l => l,
            PyTuple t => t.Items,
            _ => throw new TemplateError($"'{TypeName(obj)}' object is not subscriptable"),
        };

        int len = items.Count;
        long lo, hi;
        if (st > 0)
        {
            lo = start is null ? 0 : Clamp(ToIndex(start), len, 0, len);
            hi = stop is null ? len : Clamp(ToIndex(stop), len, 0, len);
        }
        else
        {
            lo = start is null ? len - 1 : Clamp(ToIndex(start), len, -1, len - 1);
            hi = stop is null ? -1 : Clamp(ToIndex(stop), len, -1, len - 1);
        }

        var result = new List<object?>();
        for (long i = lo; st > 0 ? i < hi : i > hi; i += st) result.Add(items[(int)i]);
        return obj switch
        {
            string => string.Concat(result.Cast<string>()),
            PyTuple => new PyTuple(result),
            _ => result,
        };

        static long Clamp(long i, int len, long min, long max)
        {
            if (i < 0) i += len;
            return Math.Clamp(i, min, max);
        }
    }

    private static long ToIndex(object? v)
    {
        if (IsInt(v)) return AsLong(v);
        throw new TemplateError("slice indices must be integers or None");
    }

    /// <summary>
    /// Runs a sort whose comparer is <see cref="Compare"/>: .NET's sorts wrap a comparer's exception in an
    /// InvalidOperationException, which would hide the template error ('&lt;' not supported between dicts) from the renderer.
    /// </summary>
    public static T RunSort<T>(Func<T> sort)
    {
        try
        {
            return sort();
        }
        catch (InvalidOperationException ex) when (ex.InnerException is TemplateError error)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            throw;
        }
    }

    /// <summary>Python binary arithmetic: <c>+ - * / // % **</c>.</summary>
    public static object? Binary(string op, object? a, object? b)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b)) return Numeric(op, a!, b!);
        switch (op)
        {
            case "+" when a is string sa && b is string sb:
                TemplateLimits.CheckLength((long)sa.Length + sb.Length, "a concatenated string");
                return sa + sb;
            case "+" when a is List<object?> la && b is List<object?> lb:
                TemplateLimits.CheckLength((long)la.Count + lb.Count, "a concatenated list");
                return new List<object?>([.. la, .. lb]);
            case "+" when a is PyTuple ta && b is PyTuple tb: return new PyTuple([.. ta.Items, .. tb.Items]);
            case "*" when a is string or List<object?> or PyTuple && IsInt(b): return Repeat(a, AsLong(b));
            case "*" when b is string or List<object?> or PyTuple && IsInt(a): return Repeat(b, AsLong(a));
            case "%" when a is string:
                throw new TemplateError("printf-style string formatting ('%' on a string) is not supported");
        }

        if (op == "+" && a is string) throw new TemplateError($"can only concatenate str (not \"{TypeName(b)}\") to str");
        if (op == "+" && a is List<object?>) throw new TemplateError($"can only concatenate list (not \"{TypeName(b)}\") to list");
        throw new TemplateError($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    private static object Repeat(object? seq, long n)
    {
        if (n <= 0) return seq is string ? "" : seq is PyTuple ? new PyTuple([]) : new List<object?>();
        if (seq is string s)
        {
            TemplateLimits.CheckLength(s.Length * Math.Min(n, TemplateLimits.MaxLength + 1), "a repeated string");
            var sb = new StringBuilder();
            for (long i = 0; i < n; i++) sb.Append(s);
            return sb.ToString();
        }

        var items = Sequence(seq)!;
        TemplateLimits.CheckLength(items.Count * Math.Min(n, TemplateLimits.MaxLength + 1), "a repeated list");
        var result = new List<object?>();
        for (long i = 0; i < n; i++) result.AddRange(items);
        return seq is PyTuple ? new PyTuple(result) : result;
    }

    private static object Numeric(string op, object a, object b)
    {
        if (IsInt(a) && IsInt(b))
        {
            long x = AsLong(a), y = AsLong(b);
            try
            {
                switch (op)
                {
                    case "+": return checked(x + y);
                    case "-": return checked(x - y);
                    case "*": return checked(x * y);
                    case "/":
                        if (y == 0) throw new TemplateError("division by zero");
                        return (double)x / y;
                    case "//":
                    {
                        if (y == 0) throw new TemplateError("integer division or modulo by zero");
                        long q = x / y;
                        if ((x % y != 0) && ((x < 0) ^ (y < 0))) q--;
                        return q;
                    }

                    case "%":
                    {
                        if (y == 0) throw new TemplateError("integer division or modulo by zero");
                        long r = x % y;
                        if (r != 0 && ((r < 0) ^ (y < 0))) r += y;
                        return r;
                    }

                    case "**":
                        if (y < 0) return Math.Pow(x, y);
                        long result = 1, bas = x;
                        while (y > 0)
                        {
                            if ((y & 1) != 0) result = checked(result * bas);
                            y >>= 1;
                            if (y > 0) bas = checked(bas * bas);
                        }

                        return result;
                }
            }
            catch (OverflowException)
            {
                throw new TemplateError("integer result too large (arbitrary-precision integers are not supported)");
            }
        }

        double dx = AsDouble(a), dy = AsDouble(b);
        switch (op)
        {
            case "+": return dx + dy;
            case "-": return dx - dy;
            case "*": return dx * dy;
            case "/":
                if (dy == 0) throw new TemplateError("float division by zero");
                return dx / dy;
            case "//":
                if (dy == 0) throw new TemplateError("float floor division by zero");
                return Math.Floor(dx / dy);
            case "%":
            {
                if (dy == 0) throw new TemplateError("float modulo");
                double r = dx % dy; // then adjust to the divisor's sign, as Python does
                if (r != 0 && ((r < 0) ^ (dy < 0))) r += dy;
                return r;
            }

            case "**":
                return Math.Pow(dx, dy);
        }

        throw new TemplateError($"unknown operator '{op}'");
    }

    /// <summary>Unary minus/plus.</summary>
    public static object? Unary(string op, object? v)
    {
        if (v is Undefined u) throw u.Fail();
        return (op, v) switch
        {
            // Arms are boxed individually: a switch over long and double arms would otherwise widen every result to double.
            ("-", long l) => (object)checked(-l),
            ("-", bool b) => b ? -1L : 0L,
            ("-", double d) => -d,
            ("+", long l) => l,
            ("+", bool b) => b ? 1L : 0L,
            ("+", double d) => d,
            _ => throw new TemplateError($"bad operand type for unary {op}: '{TypeName(v)}'"),
        };
    }
}
