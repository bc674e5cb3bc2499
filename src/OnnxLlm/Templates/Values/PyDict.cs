namespace OnnxLlm.Templates;

/// <summary>
/// A Python dict: insertion-ordered, keys compared with Python equality (so <c>1</c>, <c>1.0</c> and <c>True</c>
/// are the same key). Insertion order matters because <c>tojson</c> and iteration must match Python's output.
/// </summary>
internal sealed class PyDict
{
    private readonly OrderedDictionary<object, object?> _items = new(PyKeyComparer.Instance);

    /// <summary>Number of entries.</summary>
    public int Count => _items.Count;

    /// <summary>Entries in insertion order (None keys are exposed as null).</summary>
    public IEnumerable<KeyValuePair<object?, object?>> Items
    {
        get
        {
            foreach (var kv in _items) yield return new(kv.Key is NoneKey ? null : kv.Key, kv.Value);
        }
    }

    /// <summary>Keys in insertion order.</summary>
    public IEnumerable<object?> Keys
    {
        get
        {
            foreach (var k in _items.Keys) yield return k is NoneKey ? null : k;
        }
    }

    /// <summary>Sets or replaces <paramref name="key"/> (a replaced key keeps its position, as in Python).</summary>
    public void Set(object? key, object? value)
    {
        PyKeyComparer.EnsureHashable(key);
        _items[key ?? NoneKey.Value] = value;
    }

    /// <summary>Looks up <paramref name="key"/>; unhashable keys are simply absent.</summary>
    public bool TryGet(object? key, out object? value)
    {
        value = null;
        return PyKeyComparer.IsHashable(key) && _items.TryGetValue(key ?? NoneKey.Value, out value);
    }

    /// <summary>Python <c>key in dict</c>.</summary>
    public bool ContainsKey(object? key) => TryGet(key, out _);

    /// <summary>Stands in for a None key because .NET dictionaries refuse null keys.</summary>
    private sealed class NoneKey
    {
        public static readonly NoneKey Value = new();
    }

    /// <summary>Python hashing/equality for the hashable value kinds the engine has.</summary>
    private sealed class PyKeyComparer : IEqualityComparer<object>
    {
        public static readonly PyKeyComparer Instance = new();

        public static bool IsHashable(object? key) => key is null or string or bool or long or double or PyTuple;

        public static void EnsureHashable(object? key)
        {
            if (!IsHashable(key)) throw new TemplateError($"unhashable type: '{PyOps.TypeName(key)}'");
        }

        public new bool Equals(object? x, object? y)
        {
            if (x is NoneKey || y is NoneKey) return ReferenceEquals(x, y);
            return PyOps.PyEquals(x, y);
        }

        public int GetHashCode(object obj) => obj switch
        {
            NoneKey => 0,
            string s => StringComparer.Ordinal.GetHashCode(s),
            // Equal numbers must hash alike across bool/int/float (True == 1 == 1.0 is one key in Python).
            bool b => (b ? 1.0 : 0.0).GetHashCode(),
            long l => ((double)l).GetHashCode(),
            double d => d.GetHashCode(),
            PyTuple t => t.Items.Count,
            _ => obj.GetHashCode(),
        };
    }
}
