using Microsoft.Extensions.Logging.Abstractions;
using OnnxLlm.Export.Precision;
using OnnxLlm.Hub;

namespace OnnxLlm.Cli;

/// <summary>Resolves a <c>--model</c> value: an existing folder, or a Hugging Face model id pulled into the cache.</summary>
internal static class ModelArgument
{
    /// <summary>Help text of a <c>--precision</c> that applies when a model id is pulled and exported.</summary>
    public static string PrecisionDescription(string appliesTo) =>
        $"{appliesTo}: fp16 (default), fp32, or int4 / int8 (MatMulNBits; int4 is the fast CPU choice).";

    /// <summary>A folder as is; a Hub model id pulled (or found in the cache) at <paramref name="precision"/>, as the SDK's resolver does.</summary>
    public static async Task<string> ResolveAsync(string value, CancellationToken cancellationToken, ExportPrecision precision = ExportPrecision.Fp16)
    {
        if (Directory.Exists(value)) return Path.GetFullPath(value);
        var resolver = new HuggingFaceModelResolver(new HuggingFaceModelResolverOptions { Precision = precision }, new ConsolePullProgress());
        var resolved = await resolver.ResolveAsync(new ModelResolveRequest { ModelPath = value, Logger = NullLogger.Instance }, cancellationToken);
        return resolved?.Directory
            ?? throw new DirectoryNotFoundException($"Model folder not found: {Path.GetFullPath(value)} (and '{value}' is not a Hugging Face model id).");
    }
}
