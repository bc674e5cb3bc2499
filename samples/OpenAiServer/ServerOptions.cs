namespace OnnxLlm.Samples.OpenAiServer;

/// <summary>Settings of the HTTP front end, bound from the configuration section "OnnxLlm:Server".</summary>
public sealed class ServerOptions
{
    public const string SectionName = "OnnxLlm:Server";

    /// <summary>The environment variable read for <see cref="ApiKey"/> when configuration sets none.</summary>
    public const string ApiKeyEnvironmentVariable = "ONNXLLM_API_KEY";

    public const long DefaultMaxRequestBodyBytes = 1024 * 1024;

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer {ApiKey}</c> (what OpenAI clients send), else
    /// 401 invalid_api_key. Unset (the default) serves anyone who can reach the port: bind to 127.0.0.1 then.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Largest request body accepted (1 MiB by default; larger gets 413). A chat request is text: a megabyte is
    /// far beyond any prompt a small local model's context holds, and the cap keeps one client from making the
    /// server buffer and parse arbitrarily large bodies.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;
}
