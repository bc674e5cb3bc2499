using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace HostedApp;

/// <summary>An application service that only knows IChatClient: it neither knows nor cares which backend answers.</summary>
public sealed class Assistant(IChatClient chat, IOptions<AssistantOptions> options)
{
    /// <summary>Streams the answer to <paramref name="question"/>.</summary>
    public async IAsyncEnumerable<string> AnswerAsync(string question, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        List<ChatMessage> messages = [];
        if (!string.IsNullOrWhiteSpace(settings.SystemPrompt)) messages.Add(new ChatMessage(ChatRole.System, settings.SystemPrompt));
        messages.Add(new ChatMessage(ChatRole.User, question));
        var chatOptions = new ChatOptions { MaxOutputTokens = settings.MaxOutputTokens, Temperature = settings.Temperature };
        await foreach (var update in chat.GetStreamingResponseAsync(messages, chatOptions, cancellationToken))
            if (update.Text.Length > 0) yield return update.Text;
    }
}
