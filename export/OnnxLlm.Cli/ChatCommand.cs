using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;

namespace OnnxLlm.Cli;

/// <summary><c>onnxllm chat</c>: stream an answer from a model folder (one prompt, or an interactive session).</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder made by `onnxllm export`, or a Hugging Face model id (pulled and cached).", Required = true };
        var prompt = new Option<string?>("--prompt", "-p") { Description = "Ask one question and exit (default: interactive chat)." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "Most tokens per answer (default 1024)." };
        var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads." };
        var seed = new Option<long?>("--seed") { Description = "Sampling seed (same seed, same answer)." };
        var precision = ExportChoiceOptions.Precision(ModelArgument.PrecisionDescription("When --model is a Hub id, the precision it is exported at"));
        var noThink = new Option<bool>("--no-think") { Description = "Thinking models (Qwen3): answer directly, without a reasoning block." };
        var backend = BackendOption.Create();
        var command = new Command("chat", "Chat with an exported model, streaming each answer (a thinking model's reasoning goes to stderr).")
        {
            model, prompt, maxTokens, threads, seed, precision, noThink, backend,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(async () =>
        {
            using var client = new OnnxLlmChatClient(new OnnxLlmOptions
            {
                ModelPath = await ModelArgument.ResolveAsync(result.GetRequiredValue(model), cancellationToken,
                    ExportChoiceOptions.ParsePrecision(result.GetRequiredValue(precision))),
                IntraOpThreads = result.GetValue(threads),
                EnableThinking = !result.GetValue(noThink),
                Backend = result.GetValue(backend),
            }, StderrWarnings.Factory);
            var options = new ChatOptions { MaxOutputTokens = result.GetValue(maxTokens), Seed = result.GetValue(seed) };
            if (result.GetValue(prompt) is { } single)
            {
                await StreamAnswerAsync(client, [new ChatMessage(ChatRole.User, single)], options, cancellationToken);
                return 0;
            }
            var history = new List<ChatMessage>();
            while (!cancellationToken.IsCancellationRequested)
            {
                Console.Write("> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() is "/exit") break;
                if (line.Trim().Length == 0) continue;
                history.Add(new ChatMessage(ChatRole.User, line));
                history.Add(new ChatMessage(ChatRole.Assistant, await StreamAnswerAsync(client, history, options, cancellationToken)));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Streams one answer to stdout, then its timing to stderr; returns the answer's text. A thinking model's reasoning
    /// streams to stderr, so stdout carries the answer alone.
    /// </summary>
    public static async Task<string> StreamAnswerAsync(IChatClient client, IList<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var updates = new List<ChatResponseUpdate>();
        TimeSpan? firstText = null;
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
            foreach (var reasoning in update.Contents.OfType<TextReasoningContent>())
            {
                firstText ??= Stopwatch.GetElapsedTime(started);
                Console.Error.Write(reasoning.Text);
            }
            if (update.Text.Length == 0) continue;
            firstText ??= Stopwatch.GetElapsedTime(started);
            Console.Write(update.Text);
        }
        Console.WriteLine();
        var response = updates.ToChatResponse();
        var total = Stopwatch.GetElapsedTime(started);
        long output = response.Usage?.OutputTokenCount ?? 0;
        string thought = response.Usage?.ReasoningTokenCount is long r and > 0 ? $" ({r} thinking)" : "";
        if (thought.Length > 0) Console.Error.WriteLine();
        Console.Error.WriteLine(
            $"[{output} tokens{thought}, finish: {response.FinishReason}, first text after {firstText?.TotalMilliseconds ?? 0:0} ms, " +
            $"{output / Math.Max(total.TotalSeconds, 1e-9):0.0} tokens/s]");
        return response.Text;
    }
}
