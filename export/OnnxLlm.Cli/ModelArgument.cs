using OnnxLlm.Hub;

namespace OnnxLlm.Cli;

/// <summary>Resolves a <c>--model</c> value: an existing folder, or a Hugging Face model id pulled into the cache.</summary>
internal static class ModelArgument
{
    public static async Task<string> ResolveAsync(string value, CancellationToken cancellationToken)
    {
        if (Directory.Exists(value)) return Path.GetFullPath(value);
        if (!HubModelId.TryParse(value, out var id))
            throw new DirectoryNotFoundException($"Model folder not found: {Path.GetFullPath(value)} (and '{value}' is not a Hugging Face model id).");
        using var puller = new ModelPuller(HubOptions.FromEnvironment());
        var pulled = await puller.PullAsync(id, new PullOptions(), new ConsolePullProgress(), cancellationToken);
        return pulled.ModelDirectory;
    }
}
