using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>Shared helpers for the template engine tests.</summary>
internal static class TemplateTestHelpers
{
    public static string TestDataPath(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static string Render(string template, IReadOnlyDictionary<string, object?>? variables = null)
        => ChatTemplate.Parse(template).Render(variables ?? new Dictionary<string, object?>());

    /// <summary>Asserts exact equality and, on mismatch, reports the first differing index with context.</summary>
    public static void AssertSameText(string expected, string actual, string? label = null)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal)) return;
        int i = 0;
        while (i < expected.Length && i < actual.Length && expected[i] == actual[i]) i++;
        static string Around(string s, int at) => Escape(s.Substring(Math.Max(0, at - 40), Math.Min(s.Length, at + 40) - Math.Max(0, at - 40)));
        Assert.Fail(
            $"{label}: rendered text differs at index {i} (expected length {expected.Length}, actual {actual.Length}).\n" +
            $"  expected …{Around(expected, i)}…\n" +
            $"  actual   …{Around(actual, i)}…");
    }

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
}

/// <summary>A fixed clock for strftime_now tests.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.CreateCustomTimeZone("fixed", now.Offset, "fixed", "fixed");
}
