namespace OnnxLlm;

/// <summary>A model folder found by an <see cref="IModelResolver"/>.</summary>
/// <param name="Directory">The model folder (genai_config.json, ONNX files, tokenizer files).</param>
/// <param name="ModelId">The id reported in responses when <see cref="OnnxLlmOptions.ModelId"/> is not set (e.g. the Hub repository).</param>
public sealed record ResolvedModel(string Directory, string ModelId);
