using Microsoft.ML.OnnxRuntimeGenAI;
using OnnxLlm.ModelFolder;
using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Backends.GenAi;

/// <summary>
/// Scores token ids on ONNX Runtime GenAI for comparing it with a reference (the CLI's <c>score --backend genai</c>,
/// the conformance tests): the prompt's last-position logits and a greedy continuation through GenAI's KV cache.
/// </summary>
internal static class GenAiScorer
{
    /// <summary>
    /// Prefills <paramref name="prompt"/> and returns its last position's logits and <paramref name="greedySteps"/>
    /// greedy tokens (the first is the argmax of those logits). GenAI ends a sequence at the EOS ids of
    /// genai_config.json, so the continuation stops early after one.
    /// </summary>
    public static (float[] LastLogits, List<int> Greedy) Score(string directory, int[] prompt, int greedySteps, int intraOpThreads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(greedySteps);
        using var config = new Config(directory);
        config.ClearProviders();
        if (intraOpThreads > 0)
            config.Overlay(System.Text.Json.JsonSerializer.Serialize(new { model = new { decoder = new { session_options = new { intra_op_num_threads = intraOpThreads } } } }));
        using var model = new Model(config);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", prompt.Length + greedySteps + 1);
        parameters.SetSearchOption("do_sample", false);
        parameters.SetSearchOption("top_k", 1);
        parameters.SetSearchOption("repetition_penalty", 1.0);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens(prompt);
        var inference = GenAiConfig.Load(Path.Combine(directory, ModelFolderFiles.GenAiConfig));
        var logits = GC.AllocateArray<float>(inference.VocabSize, pinned: true);
        GenAiLogits.Read(generator, logits);
        var greedy = new List<int>(greedySteps);
        for (int i = 0; i < greedySteps && !generator.IsDone(); i++)
        {
            generator.GenerateNextToken();
            greedy.Add(generator.GetNextTokens()[0]);
        }
        return (logits, greedy);
    }
}
