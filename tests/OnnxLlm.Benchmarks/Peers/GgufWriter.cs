using System.Text;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>ggml tensor element types written or requested here (ids from ggml.h / gguf-py constants.GGMLQuantizationType).</summary>
internal enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q8_0 = 8,
}

/// <summary>
/// Writes a GGUF v3 file (the layout of llama.cpp's gguf-py GGUFWriter): magic, version, tensor and key-value
/// counts, the key-value metadata, the tensor infos, then the tensor data, each tensor at an offset from the start of
/// the data section aligned to <see cref="Alignment"/> (GGUF's default, so no general.alignment key is written).
/// Tensor data is streamed by callbacks, so a 1 GB checkpoint is converted without holding it in memory.
/// </summary>
internal sealed class GgufWriter
{
    /// <summary>GGUF's default alignment of the data section and of each tensor within it.</summary>
    public const int Alignment = 32;

    private const uint Version = 3;

    // GGUF metadata value types (gguf-py constants.GGUFValueType).
    private enum ValueType : uint { UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12 }

    private readonly List<(string Key, Action<BinaryWriter> Write)> _metadata = [];
    private readonly List<Tensor> _tensors = [];

    /// <param name="Dims">ggml order: innermost (contiguous) dimension first, i.e. a PyTorch shape reversed.</param>
    /// <param name="Write">Writes exactly <paramref name="ByteLength"/> bytes of row-major data.</param>
    private sealed record Tensor(string Name, long[] Dims, GgmlType Type, long ByteLength, Action<Stream> Write);

    public void AddString(string key, string value) => Add(key, w => { w.Write((uint)ValueType.String); WriteString(w, value); });
    public void AddUInt32(string key, uint value) => Add(key, w => { w.Write((uint)ValueType.UInt32); w.Write(value); });
    public void AddFloat32(string key, float value) => Add(key, w => { w.Write((uint)ValueType.Float32); w.Write(value); });
    public void AddBool(string key, bool value) => Add(key, w => { w.Write((uint)ValueType.Bool); w.Write(value ? (byte)1 : (byte)0); });

    public void AddStringArray(string key, IReadOnlyList<string> values) => Add(key, w =>
    {
        w.Write((uint)ValueType.Array);
        w.Write((uint)ValueType.String);
        w.Write((ulong)values.Count);
        foreach (var v in values) WriteString(w, v);
    });

    public void AddInt32Array(string key, IReadOnlyList<int> values) => Add(key, w =>
    {
        w.Write((uint)ValueType.Array);
        w.Write((uint)ValueType.Int32);
        w.Write((ulong)values.Count);
        foreach (var v in values) w.Write(v);
    });

    /// <summary>Adds a tensor of a float type; <paramref name="dims"/> in ggml order (innermost first).</summary>
    public void AddTensor(string name, long[] dims, GgmlType type, Action<Stream> write)
    {
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"GGUF tensor '{name}' was added twice.", nameof(name));
        int elementSize = type switch
        {
            GgmlType.F32 => 4,
            GgmlType.F16 => 2,
            _ => throw new ArgumentException($"GGUF tensor '{name}': only F32 and F16 are written here; quantize with llama.cpp.", nameof(type)),
        };
        long elements = dims.Aggregate(1L, (a, d) => a * d);
        _tensors.Add(new Tensor(name, dims, type, elements * elementSize, write));
    }

    public void Write(string path)
    {
        string temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write("GGUF"u8);
            writer.Write(Version);
            writer.Write((ulong)_tensors.Count);
            writer.Write((ulong)_metadata.Count);
            foreach (var (key, write) in _metadata)
            {
                WriteString(writer, key);
                write(writer);
            }
            long offset = 0;
            foreach (var tensor in _tensors)
            {
                WriteString(writer, tensor.Name);
                writer.Write((uint)tensor.Dims.Length);
                foreach (var d in tensor.Dims) writer.Write((ulong)d);
                writer.Write((uint)tensor.Type);
                writer.Write((ulong)offset);
                offset = Align(offset + tensor.ByteLength);
            }
            writer.Flush();
            Pad(stream);
            long dataStart = stream.Position;
            foreach (var tensor in _tensors)
            {
                long before = stream.Position;
                tensor.Write(stream);
                long written = stream.Position - before;
                if (written != tensor.ByteLength)
                    throw new InvalidOperationException($"GGUF tensor '{tensor.Name}': wrote {written} bytes, expected {tensor.ByteLength}.");
                Pad(stream, dataStart);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    private void Add(string key, Action<BinaryWriter> write)
    {
        if (_metadata.Any(m => m.Key == key)) throw new ArgumentException($"GGUF key '{key}' was added twice.", nameof(key));
        _metadata.Add((key, write));
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static long Align(long offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream stream, long origin = 0)
    {
        long relative = stream.Position - origin;
        int padding = (int)(Align(relative) - relative);
        for (int i = 0; i < padding; i++) stream.WriteByte(0);
    }
}
