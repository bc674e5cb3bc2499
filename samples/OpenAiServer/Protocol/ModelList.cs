namespace OnnxLlm.Samples.OpenAiServer.Protocol;

/// <summary>The body of <c>GET /v1/models</c>.</summary>
public sealed class ModelList
{
    public string Object => "list";
    public required List<ModelInfo> Data { get; init; }
}

/// <summary>One model, as <c>GET /v1/models/{id}</c> answers it.</summary>
public sealed class ModelInfo
{
    public required string Id { get; init; }
    public string Object => "model";
    /// <summary>Unix seconds; we report when the model folder was written (exported), a stable stand-in.</summary>
    public required long Created { get; init; }
    public string OwnedBy => "onnxllm";
}
