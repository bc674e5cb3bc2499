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
    public static GenerationDefaults Load(string path) => Load(path, search: null);

    /// <summary>
    /// Reads <c>generation_config.json</c>; when the folder has none, genai_config.json's <c>search</c> section gives
    /// the sampling defaults (where it sets them; the defaults above fill the rest).
    /// </summary>
    /// <remarks>
    /// generation_config.json wins whenever it exists, field by field and for the fields it leaves out too: it is the
    /// author's own file (Hugging Face's format, which the chat template and model card were written against), and
    /// the search section is a copy an export tool derived from it — GenAI's model builder and OnnxLlm's exporter both
    /// do — padded with the tool's fillers for what the author did not say (the builder: do_sample false, top_k 50;
    /// OnnxLlm's exporter: top_k 1). Taking a filler where the author was silent would turn e.g. "do_sample true,
    /// temperature 0.6" into greedy decoding through top_k 1. Folders from GenAI's builder ship no
    /// generation_config.json, and there the search section is all the author said.
    /// </remarks>
    /// <param name="path">generation_config.json (need not exist).</param>
    /// <param name="search">genai_config.json's search section, or null.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON (names the file).</exception>
    internal static GenerationDefaults Load(string path, ModelFolder.GenAi.GenAiSearch? search)
    {
        if (!File.Exists(path)) return FromSearch(search);
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

    /// <summary>The search section's settings over the defaults above; GenAI's "off" values (top_k 0, top_p 0 or 1) become ours (null).</summary>
    private static GenerationDefaults FromSearch(ModelFolder.GenAi.GenAiSearch? search)
    {
        var d = new GenerationDefaults();
        if (search is null) return d;
        return new GenerationDefaults
        {
            DoSample = search.DoSample ?? d.DoSample,
            Temperature = search.Temperature is double t ? (float)t : d.Temperature,
            TopK = search.TopK is int k ? (k > 0 ? k : null) : d.TopK,
            TopP = search.TopP is double p ? (p is > 0 and < 1 ? (float)p : null) : d.TopP,
            RepetitionPenalty = search.RepetitionPenalty is double r ? (float)r : d.RepetitionPenalty,
        };
    }
}
