namespace OnnxLlm.Templates;

/// <summary>
/// Bounds on the work a chat template may cause. A template comes from a model folder and is untrusted: without these,
/// deep nesting overflows the stack (which ends the process; it cannot be caught), nested loops run for hours, and
/// <c>'x' * 10**9</c> allocates gigabytes. Each bound is far above what real chat templates use (Qwen's renders a long
/// tool conversation in tens of thousands of steps, nested a few dozen levels), and exceeding one is a
/// <see cref="ChatTemplateException"/>.
/// </summary>
internal static class TemplateLimits
{
    /// <summary>
    /// Deepest nesting of blocks and expressions, in the parser and the renderer alike (also bounds left-nested chains
    /// such as <c>1+1+…</c>, whose evaluation recurses once per operator). Sized for the 1 MiB stacks of thread-pool threads.
    /// </summary>
    public const int MaxNestingDepth = 200;

    /// <summary>Statements executed plus expressions evaluated in one render.</summary>
    public const long MaxRenderSteps = 1_000_000;

    /// <summary>Longest string or list one operation may produce, and longest rendered text (16 Mi characters).</summary>
    public const long MaxLength = 16 * 1024 * 1024;

    /// <summary>Managed bytes one render may allocate (checked every <see cref="AllocationCheckInterval"/> steps).</summary>
    public const long MaxRenderAllocatedBytes = 256L * 1024 * 1024;

    /// <summary>Steps between allocation checks.</summary>
    public const int AllocationCheckInterval = 1024;

    /// <summary>Throws when <paramref name="length"/> (of a result about to be built) exceeds <see cref="MaxLength"/>.</summary>
    /// <param name="length">Characters or items.</param>
    /// <param name="what">The operation, for the message.</param>
    public static void CheckLength(long length, string what)
    {
        if (length > MaxLength)
            throw new TemplateError($"{what} would be {length:N0} long, more than the template limit of {MaxLength:N0}");
    }
}
