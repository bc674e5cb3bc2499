using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Chat;

/// <summary>
/// Maps <see cref="ChatOptions"/> onto sampling settings: every field the caller sets wins; the rest come
/// from the model's generation_config.json. Temperature 0 means greedy. Extra knobs travel in
/// AdditionalProperties: <c>repetition_penalty</c>, <c>min_p</c>, <c>do_sample</c>.
/// </summary>
internal static class ChatOptionsMapping
{
    public static SamplingOptions ToSampling(ChatOptions? options, GenerationDefaults defaults)
    {
        var extra = options?.AdditionalProperties;
        bool doSample = Bool(extra, "do_sample") ?? defaults.DoSample;
        float temperature = options?.Temperature ?? defaults.Temperature;
        if (!doSample) temperature = 0;
        return new SamplingOptions
        {
            Temperature = temperature,
            TopK = options?.TopK ?? defaults.TopK,
            TopP = options?.TopP ?? defaults.TopP,
            MinP = Float(extra, "min_p"),
            Seed = options?.Seed,
            RepetitionPenalty = Float(extra, "repetition_penalty") ?? defaults.RepetitionPenalty,
            PresencePenalty = options?.PresencePenalty ?? 0,
            FrequencyPenalty = options?.FrequencyPenalty ?? 0,
        };
    }

    private static float? Float(AdditionalPropertiesDictionary? extra, string key) =>
        extra is not null && extra.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            float f => f,
            double d => (float)d,
            int i => i,
            long l => l,
            decimal m => (float)m,
            string s when float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
            JsonElement { ValueKind: JsonValueKind.Number } e => e.GetSingle(),
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a number, not {value.GetType().Name}."),
        } : null;

    private static bool? Bool(AdditionalPropertiesDictionary? extra, string key) =>
        extra is not null && extra.TryGetValue(key, out var value) ? value switch
        {
            null => null,
            bool b => b,
            string s when bool.TryParse(s, out var p) => p,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            JsonElement { ValueKind: JsonValueKind.False } => false,
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{key}\"] must be a boolean, not {value.GetType().Name}."),
        } : null;
}
