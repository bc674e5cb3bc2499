using System.Buffers.Binary;
using System.Text;

namespace OnnxLlm.Export.Tests.TestSupport;

/// <summary>Builds safetensors files byte by byte, so tests can make them lie in any way they like.</summary>
internal static class RawSafetensors
{
    /// <summary>Writes 8-byte length + <paramref name="headerJson"/> + <paramref name="data"/>.</summary>
    /// <param name="declaredHeaderLength">Length to write in the prefix instead of the real one.</param>
    public static string Write(string path, string headerJson, byte[]? data = null, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        using var stream = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredHeaderLength ?? (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        stream.Write(data ?? []);
        return path;
    }

    /// <summary>One header entry: "name": {"dtype": .., "shape": [..], "data_offsets": [b, e]}.</summary>
    public static string Entry(string name, string dtype, long[] shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{end}]}}";

    /// <summary>A header object from entries.</summary>
    public static string Header(params string[] entries) => "{" + string.Join(",", entries) + "}";
}
