using System.Runtime.CompilerServices;
using OnnxLlm.Generation;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Testing;

/// <summary>
/// Canned model text in place of the model: tokenized with the real tokenizer and streamed token by token
/// through the streaming detokenizer, exactly as the engine would. Records each request's prompt.
/// </summary>
internal sealed class ScriptedGeneration(QwenTokenizer tokenizer, params string[] responses)
{
    private int _next;

    public List<string> Prompts { get; } = [];

    /// <summary>How each scripted response ends (Length: as if the output cap cut it there).</summary>
    public GenerationFinishReason Finish { get; init; } = GenerationFinishReason.Stop;

    /// <summary>Every generated token, per response (for checks against a constraint).</summary>
    public List<IReadOnlyList<int>> Tokens { get; } = [];

    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Prompts.Add(tokenizer.Decode(request.PromptTokens));
        var tokens = tokenizer.Encode(responses[_next++]);
        Tokens.Add(tokens);
        var detokenizer = new StreamingDetokenizer(tokenizer);
        int generated = 0;
        foreach (int token in tokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            generated++;
            yield return new GenerationUpdate { TokenId = token, Text = detokenizer.Append(token), PromptTokens = request.PromptTokens.Count, GeneratedTokens = generated };
        }
        yield return new GenerationUpdate { TokenId = -1, Text = detokenizer.Flush(), PromptTokens = request.PromptTokens.Count, GeneratedTokens = generated };
        yield return new GenerationUpdate { TokenId = -1, Text = "", FinishReason = Finish, PromptTokens = request.PromptTokens.Count, GeneratedTokens = generated };
    }
}
