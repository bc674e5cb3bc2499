using System.Text.Json;

namespace OnnxLlm.Generation;

/// <summary>
/// The model author's sampling defaults from <c>generation_config.json</c> (Qwen2.5-Instruct ships
/// temperature 0.7, top_p 0.8, top_k 20, repetition_penalty 1.05), used where a request sets nothing.
/// </summary>
internal sealed record GenerationDefaults
{
    /// <summary>Sampling temperature.</summary>
    public float Temperature { get; init; } = 0.7f;

    /// <summary>Nucleus sampling threshold.</summary>
    public float? TopP { get; init; }

    /// <summary>Top-k cut-off.</summary>
    public int? TopK { get; init; }

    /// <summary>HF-style repetition penalty (1 = off).</summary>
    public float RepetitionPenalty { get; init; } = 1.0f;

    /// <summary>Whether the author intends sampling (false means greedy).</summary>
    public bool DoSample { get; init; } = true;

    /// <summary>End-of-sequence ids listed in the file.</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary>Reads <c>generation_config.json</c>; a missing file gives the defaults above.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON (names the file).</exception>
    public static GenerationDefaults Load(string path)
    {
        if (!File.Exists(path)) return new GenerationDefaults();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            float? F(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : null;
            int? I(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
            var eos = root.TryGetProperty("eos_token_id", out var e)
                ? e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetInt32()).ToArray()
                  : e.ValueKind == JsonValueKind.Number ? [e.GetInt32()] : []
                : Array.Empty<int>();
            bool sample = !root.TryGetProperty("do_sample", out var s) || s.ValueKind != JsonValueKind.False;
            return new GenerationDefaults
            {
                Temperature = F("temperature") ?? 0.7f,
                TopP = F("top_p"),
                TopK = I("top_k"),
                RepetitionPenalty = F("repetition_penalty") ?? 1.0f,
                DoSample = sample,
                EosTokenIds = eos,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }
}
