using System.Text.Json;
// TEMPORARY (replaced by the SafetensorsCheckpoint adapter at merge).
namespace OnnxLlm.Export.Checkpoints;

internal sealed class CheckpointWeights : ICheckpointWeights, IDisposable
{
    private readonly byte[] _file;
    private readonly Dictionary<string, (string DType, long[] Shape, long Begin, long End)> _t = new();
    private readonly long _dataStart;
    private CheckpointWeights(string path)
    {
        _file = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(_file, 0);
        _dataStart = 8 + n;
        using var doc = JsonDocument.Parse(_file.AsMemory(8, (int)n));
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var offs = p.Value.GetProperty("data_offsets");
            _t[p.Name] = (p.Value.GetProperty("dtype").GetString()!, p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), offs[0].GetInt64(), offs[1].GetInt64());
        }
    }
    public static CheckpointWeights Open(string dir) => new(Path.Combine(dir, "model.safetensors"));
    public bool Contains(string name) => _t.ContainsKey(name);
    public IReadOnlyList<long> GetShape(string name) => _t[name].Shape;
    public void ReadAsFloat32(string name, long elementOffset, Span<float> destination)
    {
        var e = _t[name];
        if (e.DType != "BF16") throw new NotSupportedException();
        for (int i = 0; i < destination.Length; i++)
        {
            ushort b = BitConverter.ToUInt16(_file, (int)(_dataStart + e.Begin + (elementOffset + i) * 2));
            destination[i] = BitConverter.Int32BitsToSingle(b << 16);
        }
    }
    public void Dispose() { }
}
