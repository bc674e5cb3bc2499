namespace OnnxLlm.Export.Tests.TestSupport;

/// <summary>An <see cref="IProgress{T}"/> that runs its handler inline (Progress&lt;T&gt; posts it asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public int Reports { get; private set; }

    public void Report(T value)
    {
        Reports++;
        handler(value);
    }
}
