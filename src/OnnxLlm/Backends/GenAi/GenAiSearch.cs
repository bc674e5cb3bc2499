using Microsoft.ML.OnnxRuntimeGenAI;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Backends.GenAi;

/// <summary>Maps a <see cref="GenerationRequest"/> onto GenAI's search options.</summary>
internal static class GenAiSearch
{
    /// <summary>
    /// True when GenAI's own search can choose the tokens: no constraint to apply to the logits and no sampling
    /// option GenAI lacks (min-p, presence and frequency penalties). Otherwise our <see cref="TokenSampler"/> chooses
    /// each token from GenAI's logits and GenAI is handed a one-hot row to pick it (see <see cref="GenAiGenerator"/>).
    /// </summary>
    public static bool RunsNatively(GenerationRequest request)
    {
        var s = request.Sampling;
        return request.Constraint is null && (s.MinP is null or 0f) && s.PresencePenalty == 0f && s.FrequencyPenalty == 0f;
    }

    /// <summary>Sets max_length (prompt + MaxNewTokens) and, for native runs, the sampling options (every one, so the folder's search defaults never leak in).</summary>
    public static void Apply(GeneratorParams parameters, GenerationRequest request, int vocabSize, bool native)
    {
        parameters.SetSearchOption("max_length", request.PromptTokens.Count + request.MaxNewTokens);
        parameters.SetSearchOption("min_length", 0);
        parameters.SetSearchOption("num_beams", 1);
        parameters.SetSearchOption("num_return_sequences", 1);
        var s = request.Sampling;
        if (!native || s.IsGreedy)
        {
            // Host-chosen tokens arrive as one-hot logits: greedy picks exactly that token, and no penalty may move it.
            parameters.SetSearchOption("do_sample", false);
            parameters.SetSearchOption("top_k", 1);
            parameters.SetSearchOption("repetition_penalty", native ? s.RepetitionPenalty : 1.0);
            return;
        }
        parameters.SetSearchOption("do_sample", true);
        parameters.SetSearchOption("temperature", s.Temperature);
        // Our "off" is null/0; GenAI's top_k has no off value, so the whole vocabulary stands for it.
        parameters.SetSearchOption("top_k", s.TopK is int k and > 0 ? Math.Min(k, vocabSize) : vocabSize);
        parameters.SetSearchOption("top_p", s.TopP ?? 1f);
        parameters.SetSearchOption("repetition_penalty", s.RepetitionPenalty);
        if (s.Seed is long seed) parameters.SetSearchOption("random_seed", (double)(seed & int.MaxValue));
    }
}
