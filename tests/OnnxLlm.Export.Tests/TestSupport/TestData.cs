namespace OnnxLlm.Export.Tests.TestSupport;

/// <summary>Paths into tests/TestData as copied to the test output folder.</summary>
internal static class TestData
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    public static string TinyConfig => Path("qwen2-tiny", "config.json");
}
