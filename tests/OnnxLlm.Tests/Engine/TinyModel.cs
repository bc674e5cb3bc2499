using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Engine;

/// <summary>
/// One loaded qwen2-tiny model (fp32 export, instruct tokenizer) shared by the engine and chat tests, and one
/// qwen3-tiny model (fp32 export, Qwen3 tokenizer_config.json with the thinking template).
/// </summary>
internal static class TinyModel
{
    private static readonly Lazy<Task<OnnxLlmModel>> s_model = new(async () =>
        OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 }));

    private static readonly Lazy<Task<OnnxLlmModel>> s_qwen3 = new(async () =>
        OnnxLlmModel.Load(new OnnxLlmOptions { ModelPath = await TestModels.Qwen3TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 }));

    public static Task<OnnxLlmModel> GetAsync() => s_model.Value;

    public static Task<OnnxLlmModel> Qwen3Async() => s_qwen3.Value;

    /// <summary>A separately loaded model (for tests that change options or dispose it).</summary>
    public static async Task<OnnxLlmModel> LoadNewAsync(Action<OnnxLlmOptions>? configure = null)
    {
        var options = new OnnxLlmOptions { ModelPath = await TestModels.TinyAsync(ExportPrecision.Fp32), IntraOpThreads = 1 };
        configure?.Invoke(options);
        return OnnxLlmModel.Load(options);
    }
}
