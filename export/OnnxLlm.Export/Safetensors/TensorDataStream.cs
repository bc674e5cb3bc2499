namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// The stream a <see cref="SafetensorsTensorSource"/> callback writes into: forwards to the file but refuses to
/// go past the tensor's declared size, so a buggy callback cannot shift every later tensor and corrupt the file.
/// </summary>
internal sealed class TensorDataStream(Stream inner, string tensorName, long byteLength) : Stream
{
    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Reserve(buffer.Length);
        inner.Write(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Reserve(buffer.Length);
        return inner.WriteAsync(buffer, cancellationToken);
    }

    public override void Flush() { }
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private void Reserve(int count)
    {
        if (Written + count > byteLength)
            throw new InvalidOperationException(
                $"The data callback of tensor '{tensorName}' wrote more than its {byteLength} bytes.");
        Written += count;
    }
}
