namespace OnnxLlm.ModelFolder.GenAi;

/// <summary>
/// <c>model.decoder.sliding_window</c>: GenAI's windowed attention and KV layout. GenAI's model builder writes it for
/// cpu/cuda builds of checkpoints with a <c>sliding_window</c> (Qwen2.5 configs carry one as large as the context;
/// GenAI's NPU pipelines use it to feed fixed-size windows). Defaults are GenAI's for a section that leaves a field out.
/// </summary>
public sealed record GenAiSlidingWindow
{
    /// <summary>Positions each query attends to (and, with a windowed cache, the cache length); 0 or less: none.</summary>
    public int WindowSize { get; init; }

    /// <summary>Whether GenAI slides the KV cache with the window (GenAI: true when the section omits it; the builder writes false).</summary>
    public bool SlideKeyValueCache { get; init; } = true;

    /// <summary>Whether GenAI feeds the prompt in window-sized slices (GenAI: true when the section omits it; the builder writes false).</summary>
    public bool SlideInputs { get; init; } = true;

    /// <summary>Layers that use the window (empty: the window applies uniformly).</summary>
    public IReadOnlyList<int> Layers { get; init; } = [];

    /// <summary>Extra KV positions GenAI keeps beyond the window (0: the provider's default).</summary>
    public int CacheSlack { get; init; }
}
