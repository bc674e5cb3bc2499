using System.CommandLine;
using OnnxLlm.Backends;

namespace OnnxLlm.Cli;

/// <summary>The <c>--backend onnxllm|genai|auto</c> option of <c>chat</c> and <c>score</c>.</summary>
internal static class BackendOption
{
    public static Option<InferenceBackend> Create() => new("--backend")
    {
        Description = "Which runtime generates: onnxllm (OnnxLlm's own loop), genai (ONNX Runtime GenAI) or auto (ours for folders it runs, else GenAI).",
        DefaultValueFactory = _ => InferenceBackend.Auto,
        CustomParser = r =>
        {
            if (r.Tokens.Count == 1 && Parse(r.Tokens[0].Value) is { } value) return value;
            r.AddError($"--backend: '{(r.Tokens.Count == 1 ? r.Tokens[0].Value : "")}' is not onnxllm, genai or auto.");
            return InferenceBackend.Auto;
        },
    };

    private static InferenceBackend? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "onnxllm" => InferenceBackend.OnnxLlm,
        "genai" => InferenceBackend.GenAI,
        "auto" => InferenceBackend.Auto,
        _ => null,
    };
}
