using Microsoft.ML.OnnxRuntime;
using OnnxLlm.Export.Precision;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Inference;
using OnnxLlm.Testing;

namespace OnnxLlm.Tests.Serving;

/// <summary>Engines over the golden tiny model with chosen scheduling options, and a helper that runs one request to the end.</summary>
internal sealed class EngineHarness : IDisposable
{
    public static readonly SamplingOptions Greedy = new() { Temperature = 0 };

    private readonly DecoderModel _decoder;

    private EngineHarness(DecoderModel decoder, GenerationEngine engine)
    {
        _decoder = decoder;
        Engine = engine;
    }

    public GenerationEngine Engine { get; }

    public static async Task<EngineHarness> CreateAsync(GenerationEngineOptions options, string target = "cpu")
    {
        using var session = new SessionOptions { IntraOpNumThreads = 1 };
        string folder = target == "cpu" ? await TestModels.TinyAsync(ExportPrecision.Fp32) : await TestModels.TinyCoreMLAsync(ExportPrecision.Fp32);
        var decoder = DecoderModel.Load(folder, session);
        var tokenizer = OnnxLlm.Tokenization.QwenTokenizer.FromDirectory(folder);
        return new EngineHarness(decoder, new GenerationEngine(decoder, tokenizer, options));
    }

    public sealed record Result(List<int> Tokens, string Text, GenerationUpdate Final);

    public static async Task<Result> RunAsync(GenerationEngine engine, GenerationRequest request, CancellationToken cancellationToken = default,
        Func<int, Task>? afterToken = null)
    {
        var tokens = new List<int>();
        var text = new System.Text.StringBuilder();
        GenerationUpdate final = default;
        await foreach (var update in engine.GenerateAsync(request, cancellationToken))
        {
            if (update.TokenId >= 0)
            {
                tokens.Add(update.TokenId);
                if (afterToken is not null) await afterToken(tokens.Count);
            }
            text.Append(update.Text);
            if (update.FinishReason is not null) final = update;
        }
        return new Result(tokens, text.ToString(), final);
    }

    public void Dispose()
    {
        Engine.Dispose();
        _decoder.Dispose();
    }
}
