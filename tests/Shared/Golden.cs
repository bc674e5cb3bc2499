using System.Text.Json;

namespace OnnxLlm.Testing;

/// <summary>
/// Goldens computed by transformers' own model classes: qwen2-tiny (Qwen2ForCausalLM, <see cref="Instance"/>) and
/// qwen3-tiny (Qwen3ForCausalLM, <see cref="Qwen3"/>), each tests/TestData/&lt;fixture&gt;/golden.json.
/// </summary>
internal sealed class Golden
{
    /// <summary>The fixture folder the goldens were read from.</summary>
    public required string Dir { get; init; }

    public required ulong Seed { get; init; }
    public required IReadOnlyList<GoldenCase> Cases { get; init; }
    public required IReadOnlyDictionary<string, (long[] Shape, string Sha256)> Tensors { get; init; }

    private static readonly Lazy<Golden> s_instance = new(() => Load("qwen2-tiny"));
    private static readonly Lazy<Golden> s_qwen3 = new(() => Load("qwen3-tiny"));

    /// <summary>qwen2-tiny (seed 22).</summary>
    public static Golden Instance => s_instance.Value;

    /// <summary>qwen3-tiny (seed 21, head_dim 32 ≠ hidden / heads).</summary>
    public static Golden Qwen3 => s_qwen3.Value;

    /// <summary>The fixture's config.json.</summary>
    public string ConfigPath => Path.Combine(Dir, "config.json");

    private static Golden Load(string fixture)
    {
        string Dir = Path.Combine(AppContext.BaseDirectory, "TestData", fixture);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "golden.json")));
        var root = doc.RootElement;
        var cases = new List<GoldenCase>();
        foreach (var c in root.GetProperty("cases").EnumerateArray())
        {
            var last = c.GetProperty("last_position_logits");
            var bytes = File.ReadAllBytes(Path.Combine(Dir, last.GetProperty("file").GetString()!));
            var logits = new float[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, logits, 0, bytes.Length);
            cases.Add(new GoldenCase
            {
                Name = c.GetProperty("name").GetString()!,
                InputIds = c.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                LastLogits = logits,
                PerPosition = c.GetProperty("topk_per_position").EnumerateArray().Select(TopK).ToArray(),
                Greedy = c.GetProperty("greedy").GetProperty("new_tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                GreedySteps = c.GetProperty("greedy").GetProperty("steps").EnumerateArray()
                    .Select(s => (TopK(s.GetProperty("top10")), s.GetProperty("top1_minus_top2").GetDouble())).ToArray(),
            });
        }
        return new Golden
        {
            Dir = Dir,
            Seed = root.GetProperty("seed").GetUInt64(),
            Cases = cases,
            Tensors = root.GetProperty("checkpoint").GetProperty("tensors").EnumerateObject().ToDictionary(
                p => p.Name,
                p => (p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray(), p.Value.GetProperty("data_sha256").GetString()!)),
        };
    }

    private static (int[] Ids, double[] Values) TopK(JsonElement e) =>
        (e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
         e.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray());
}

internal sealed class GoldenCase
{
    public required string Name { get; init; }
    public required int[] InputIds { get; init; }
    public required float[] LastLogits { get; init; }
    public required (int[] Ids, double[] Values)[] PerPosition { get; init; }
    public required int[] Greedy { get; init; }
    public required ((int[] Ids, double[] Values) Top10, double Margin)[] GreedySteps { get; init; }
    public override string ToString() => Name;
}
