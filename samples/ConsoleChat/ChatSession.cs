using Microsoft.Extensions.AI;
using Spectre.Console;

namespace ConsoleChat;

/// <summary>The chat loop: reads lines, runs commands, streams answers and keeps the conversation.</summary>
internal sealed class ChatSession(IChatClient client, IAnsiConsole console, ChatOptions options, string? systemPrompt)
{
    private readonly List<ChatMessage> _history = [];
    private string? _system = systemPrompt;

    public async Task RunAsync(TextReader input, AnswerInterrupt interrupt)
    {
        var metadata = client.GetService<ChatClientMetadata>();
        console.Write(new Rule($"[bold]{Markup.Escape(metadata?.DefaultModelId ?? "model")}[/]").LeftJustified());
        console.MarkupLine("[grey]Type a message. /system <text> sets the system prompt, /reset clears the conversation, /exit quits. Ctrl+C stops an answer.[/]");
        while (true)
        {
            console.Markup("[bold green]you>[/] ");
            string? line = await input.ReadLineAsync();
            if (line is null) break; // end of input
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line == "/exit") break;
            if (line == "/reset")
            {
                _history.Clear();
                console.MarkupLine("[grey](conversation cleared)[/]");
                continue;
            }
            if (line == "/system" || line.StartsWith("/system ", StringComparison.Ordinal))
            {
                _system = line.Length > 8 ? line[8..].Trim() : null;
                console.MarkupLine(_system is null ? "[grey](system prompt removed)[/]" : "[grey](system prompt set)[/]");
                continue;
            }
            if (line.StartsWith('/'))
            {
                console.MarkupLineInterpolated($"[yellow]Unknown command {line.Split(' ')[0]}.[/] Commands: /system <text>, /reset, /exit.");
                continue;
            }
            await AnswerAsync(line, interrupt);
        }
    }

    private async Task AnswerAsync(string userText, AnswerInterrupt interrupt)
    {
        var messages = new List<ChatMessage>();
        if (_system is not null) messages.Add(new ChatMessage(ChatRole.System, _system));
        messages.AddRange(_history);
        messages.Add(new ChatMessage(ChatRole.User, userText));

        console.Markup("[bold blue]assistant>[/] ");
        var stats = new AnswerStatistics();
        var reasoning = new ReasoningStyle(console.Profile.Capabilities.Ansi);
        var updates = new List<ChatResponseUpdate>();
        using var answer = interrupt.BeginAnswer();
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, options, answer.Token))
            {
                updates.Add(update);
                foreach (var content in update.Contents)
                {
                    // A thinking model's reasoning is shown dimmed before its answer.
                    var (text, isReasoning) = content switch
                    {
                        TextReasoningContent r => (r.Text, true),
                        TextContent t => (t.Text, false),
                        _ => ("", false),
                    };
                    if (text.Length == 0) continue;
                    stats.OnText();
                    reasoning.Switch(isReasoning);
                    // Raw text, not Spectre's Text: no markup parsing and no re-wrapping of the model's lines.
                    Console.Out.Write(text);
                }
            }
            reasoning.Switch(false);
        }
        catch (OperationCanceledException) when (answer.Token.IsCancellationRequested)
        {
            reasoning.Switch(false);
            // The turn is dropped: a half answer in the history would steer the next one.
            console.WriteLine();
            console.MarkupLine("[yellow][[answer stopped]][/]");
            return;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            console.WriteLine();
            console.MarkupLineInterpolated($"[red]{ex.Message}[/]");
            return;
        }
        console.WriteLine();
        var response = updates.ToChatResponse();
        _history.Add(new ChatMessage(ChatRole.User, userText));
        _history.AddRange(response.Messages);
        long tokens = response.Usage?.OutputTokenCount ?? 0;
        string thought = response.Usage?.ReasoningTokenCount is long thinking and > 0 ? $" ({thinking} thinking)" : "";
        console.MarkupLineInterpolated(
            $"[grey]{tokens} tokens{thought} · first token {stats.TimeToFirstToken?.TotalMilliseconds ?? 0:0} ms · {stats.TokensPerSecond(tokens):0.0} tokens/s · {response.FinishReason?.Value ?? "?"}[/]");
    }
}
