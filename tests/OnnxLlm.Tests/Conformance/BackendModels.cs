using System.Collections.Concurrent;
using OnnxLlm.Backends;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Conformance;

/// <summary>The qwen2-tiny fp32 export loaded once per backend, shared by the conformance tests.</summary>
internal static class BackendModels
{
    private static readonly ConcurrentDictionary<InferenceBackend, Lazy<Task<OnnxLlmModel>>> s_models = new();

    /// <summary>Both backends, for <c>[DynamicData]</c>.</summary>
    public static IEnumerable<object[]> Both => [[InferenceBackend.OnnxLlm], [InferenceBackend.GenAI]];

    public static Task<OnnxLlmModel> GetAsync(InferenceBackend backend) =>
        s_models.GetOrAdd(backend, b => new Lazy<Task<OnnxLlmModel>>(() => LoadNewAsync(b))).Value;

    /// <summary>A separately loaded model on <paramref name="backend"/> (for tests that change options or dispose it).</summary>
    public static async Task<OnnxLlmModel> LoadNewAsync(InferenceBackend backend, Action<OnnxLlmOptions>? configure = null)
    {
        var options = new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1, Backend = backend };
        configure?.Invoke(options);
        var model = OnnxLlmModel.Load(options);
        Assert.AreEqual(backend, model.Backend, "the backend asked for is the one loaded");
        return model;
    }
}
