using System.Text.Json.Serialization;

namespace OnnxLlm.Samples.OpenAiServer.Protocol;

/// <summary>
/// Source-generated (reflection-free, trimming-safe) JSON metadata of the wire types. snake_case names as
/// OpenAI uses; property names are case-sensitive and numbers are not read from strings, like OpenAI's own
/// validation; nulls are left out unless a property says otherwise.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletion))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelInfo))]
[JsonSerializable(typeof(OpenAiErrorBody))]
public sealed partial class ProtocolJson : JsonSerializerContext;
