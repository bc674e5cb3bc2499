using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// One safetensors file, memory-mapped read-only. The header is validated on open; tensor bytes are never copied
/// into managed memory — <see cref="GetBytes(string)"/> returns a span over the mapping, so a multi-gigabyte
/// checkpoint costs only address space.
/// </summary>
/// <remarks>
/// Spans returned by this type are valid only until <see cref="Dispose"/>. The file must not be truncated by
/// another process while it is open (that would fault on access, as with any memory mapping).
/// </remarks>
internal sealed unsafe class SafetensorsFile : IDisposable
{
    /// <summary>The largest header accepted, as in the reference implementation: a bigger one is surely hostile.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly MemoryMappedFile _mapping;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private bool _disposed;

    private SafetensorsFile(
        string filePath, MemoryMappedFile mapping, MemoryMappedViewAccessor view, byte* basePointer, long length)
    {
        FilePath = filePath;
        _mapping = mapping;
        _view = view;
        _base = basePointer;
        _length = length;
        Tensors = new Dictionary<string, SafetensorsTensorInfo>();
        Metadata = new Dictionary<string, string>();
    }

    /// <summary>Full path of the file.</summary>
    public string FilePath { get; }

    /// <summary>Every tensor of the file by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsTensorInfo> Tensors { get; private set; }

    /// <summary>The header's <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; }

    /// <summary>Opens, maps and validates a safetensors file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is malformed; the message says how.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        MemoryMappedFile? mapping = null;
        MemoryMappedViewAccessor? view = null;
        SafetensorsFile? file = null;
        try
        {
            long length = stream.Length;
            if (length < 8)
                throw new SafetensorsFormatException(fullPath, null,
                    $"the file is {length} bytes long, too short for the 8-byte header length.");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderLength)
                throw new SafetensorsFormatException(fullPath, null,
                    $"the header length {headerLength} exceeds the {MaxHeaderLength}-byte limit.");
            if (headerLength > (ulong)(length - 8))
                throw new SafetensorsFormatException(fullPath, null,
                    $"the header length {headerLength} exceeds the {length - 8} bytes that follow it; the file is truncated or not safetensors.");

            mapping = MemoryMappedFile.CreateFromFile(
                stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = mapping.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            file = new SafetensorsFile(fullPath, mapping, view, pointer + view.PointerOffset, length);

            long dataOffset = 8 + (long)headerLength;
            var header = new ReadOnlySpan<byte>(file._base + 8, (int)headerLength);
            var parsed = SafetensorsHeaderParser.Parse(header, fullPath, dataOffset, length - dataOffset);
            file.Tensors = parsed.Tensors;
            file.Metadata = parsed.Metadata;
            return file;
        }
        catch
        {
            if (file is not null)
            {
                file.Dispose();
            }
            else
            {
                view?.Dispose();
                mapping?.Dispose();
            }
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names it and the file.</exception>
    public SafetensorsTensorInfo Get(string name) =>
        Tensors.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"Tensor '{name}' is not in {FilePath}.");

    /// <summary>The raw little-endian bytes of a tensor, as a span over the mapping (no copy).</summary>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="NotSupportedException">The tensor is larger than a span can address (2 GiB).</exception>
    public ReadOnlySpan<byte> GetBytes(string name) => GetBytes(Get(name));

    /// <summary>Decodes a tensor into float32 (BF16 and F16 widen exactly).</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="destination">Exactly <see cref="SafetensorsTensorInfo.ElementCount"/> values.</param>
    /// <exception cref="KeyNotFoundException">No such tensor.</exception>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    public void ReadAsFloat32(string name, Span<float> destination)
    {
        var info = Get(name);
        SafetensorsConversions.ToFloat32(GetBytes(info), info.DType, destination);
    }

    /// <summary>Bytes of a tensor that belongs to this file.</summary>
    internal ReadOnlySpan<byte> GetBytes(SafetensorsTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (info.ByteLength > int.MaxValue)
            throw new NotSupportedException(
                $"{FilePath}: tensor '{info.Name}' is {info.ByteLength} bytes, more than a span can address; read it in slices.");
        // The parser proved DataOffset + ByteLength <= file length; this guards infos built by hand.
        if (info.DataOffset < 0 || info.ByteLength < 0 || info.DataOffset > _length - info.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(info), $"Tensor '{info.Name}' does not lie inside {FilePath}.");
        return new ReadOnlySpan<byte>(_base + info.DataOffset, (int)info.ByteLength);
    }

    /// <summary>Unmaps the file; spans obtained from it must no longer be used.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _mapping.Dispose();
    }
}
