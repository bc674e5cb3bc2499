using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace OnnxLlm.Hub;

/// <summary>A Hugging Face model repository and revision, written <c>owner/name</c> or <c>owner/name@revision</c>.</summary>
/// <param name="Repository">The repository, e.g. <c>Qwen/Qwen2.5-0.5B-Instruct</c>.</param>
/// <param name="Revision">A branch, tag or commit; <c>main</c> by default.</param>
public readonly partial record struct HubModelId(string Repository, string Revision)
{
    /// <summary>The default revision.</summary>
    public const string DefaultRevision = "main";

    [GeneratedRegex(@"^(?<repo>[A-Za-z0-9][\w.\-]*/[\w.\-]+)(@(?<rev>[\w.\-/]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    /// <summary>Parses <c>owner/name[@revision]</c>.</summary>
    /// <exception cref="FormatException">The text is not a model id (the message shows the expected form).</exception>
    public static HubModelId Parse(string text) => TryParse(text, out var id) ? id
        : throw new FormatException($"'{text}' is not a Hugging Face model id (expected owner/name or owner/name@revision).");

    /// <summary>Parses <c>owner/name[@revision]</c>; false when the text is not of that form.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out HubModelId id)
    {
        var match = text is null ? null : Pattern().Match(text);
        if (match is null || !match.Success || text!.Contains("..", StringComparison.Ordinal))
        {
            id = default;
            return false;
        }
        id = new HubModelId(match.Groups["repo"].Value, match.Groups["rev"].Success ? match.Groups["rev"].Value : DefaultRevision);
        return true;
    }

    /// <summary>A folder-safe name for the repository (<c>owner--name</c>).</summary>
    public string FolderName => Repository.Replace("/", "--", StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => Revision == DefaultRevision ? Repository : $"{Repository}@{Revision}";
}
