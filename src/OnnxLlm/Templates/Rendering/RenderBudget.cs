namespace OnnxLlm.Templates;

/// <summary>
/// Counts one render's nesting depth, steps and allocations against <see cref="TemplateLimits"/>; the renderer enters it
/// for every statement and expression it runs.
/// </summary>
internal sealed class RenderBudget
{
    private readonly long _allocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
    private int _depth;
    private long _steps;

    /// <summary>Starts one statement or expression; pair with <see cref="Leave"/> when it did not throw.</summary>
    /// <exception cref="TemplateError">A limit is exceeded.</exception>
    public void Enter()
    {
        if (_depth >= TemplateLimits.MaxNestingDepth)
            throw new TemplateError($"the template recursed or nested more than {TemplateLimits.MaxNestingDepth} levels deep when rendered");
        if (++_steps > TemplateLimits.MaxRenderSteps)
            throw new TemplateError($"the template did more than {TemplateLimits.MaxRenderSteps:N0} steps of work; it loops too much to be a chat template");
        if (_steps % TemplateLimits.AllocationCheckInterval == 0
            && GC.GetAllocatedBytesForCurrentThread() - _allocatedAtStart > TemplateLimits.MaxRenderAllocatedBytes)
            throw new TemplateError($"the template allocated more than {TemplateLimits.MaxRenderAllocatedBytes / (1024 * 1024):N0} MiB while rendering");
        _depth++;
    }

    /// <summary>Ends what <see cref="Enter"/> started.</summary>
    public void Leave() => _depth--;
}
