using System.CommandLine;
using ConsoleChat;
using OnnxLlm;
using OnnxLlm.Backends;
using OnnxLlm.Chat;
using OnnxLlm.Hub;
using OnnxLlm.Runtime;
using Spectre.Console;

// A console chat over OnnxLlm's IChatClient: streaming answers, multi-turn history, /reset, /system, /exit,
// Ctrl+C to stop an answer, time-to-first-token and tokens/s after each answer, and a thinking model's reasoning dimmed.
var model = new Option<string>("--model", "-m") { Description = "Model folder made by `onnxllm export`, or a Hugging Face model id.", Required = true };
var provider = new Option<ExecutionProvider>("--ep") { Description = "Execution provider: Cpu or CoreML (macOS).", DefaultValueFactory = _ => ExecutionProvider.Cpu };
var units = new Option<CoreMLComputeUnits>("--coreml-units") { Description = "Core ML compute units: All, CpuOnly, CpuAndGpu, CpuAndNeuralEngine.", DefaultValueFactory = _ => CoreMLComputeUnits.All };
var strict = new Option<bool>("--strict") { Description = "Fail if any node would leave Core ML." };
var fallback = new Option<bool>("--allow-fallback") { Description = "Run on the CPU when the provider is unavailable, instead of failing." };
var threads = new Option<int?>("--threads") { Description = "ONNX Runtime intra-op threads (default: one per physical core)." };
var maxTokens = new Option<int?>("--max-tokens") { Description = "Most tokens per answer (default 1024)." };
var temperature = new Option<float?>("--temperature") { Description = "Sampling temperature (0 = greedy; default: the model's generation_config.json)." };
var seed = new Option<long?>("--seed") { Description = "Sampling seed (same seed, same answer)." };
var system = new Option<string?>("--system") { Description = "System prompt." };
var backend = new Option<InferenceBackend>("--backend") { Description = "Runtime: Auto (default), OnnxLlm (our loop) or GenAI (ONNX Runtime GenAI).", DefaultValueFactory = _ => InferenceBackend.Auto };
var noThink = new Option<bool>("--no-think") { Description = "Thinking models (Qwen3): answer directly, without a reasoning block." };
var root = new RootCommand("Chat with a Qwen model in-process (OnnxLlm).") { model, provider, units, strict, fallback, threads, maxTokens, temperature, seed, system, noThink, backend };
root.SetAction(async (result, cancellationToken) =>
{
    var options = new OnnxLlmOptions
    {
        ModelPath = result.GetRequiredValue(model),
        ExecutionProvider = result.GetValue(provider),
        AllowExecutionProviderFallback = result.GetValue(fallback),
        CoreML = new CoreMLOptions { ComputeUnits = result.GetValue(units), Strict = result.GetValue(strict) },
        IntraOpThreads = result.GetValue(threads),
        EnableThinking = !result.GetValue(noThink),
        Backend = result.GetValue(backend),
        // --model also takes a Hugging Face model id: pulled, exported and cached on first use.
        ModelResolver = new HuggingFaceModelResolver(),
    };
    OnnxLlmChatClient client;
    try
    {
        client = await AnsiConsole.Status().StartAsync($"Loading {Markup.Escape(options.ModelPath)}…",
            _ => Task.Run(() => new OnnxLlmChatClient(options), cancellationToken));
    }
    catch (Exception ex) when (ex is IOException or InvalidDataException or ArgumentException or PlatformNotSupportedException or UnauthorizedAccessException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]Could not load the model:[/] {ex.Message}");
        return 1;
    }
    using (client)
    {
        var session = new ChatSession(client, AnsiConsole.Console, new Microsoft.Extensions.AI.ChatOptions
        {
            MaxOutputTokens = result.GetValue(maxTokens),
            Temperature = result.GetValue(temperature),
            Seed = result.GetValue(seed),
        }, result.GetValue(system));
        using var interrupt = new AnswerInterrupt();
        await session.RunAsync(Console.In, interrupt);
    }
    return 0;
});
// Ctrl+C belongs to the chat (it stops the current answer), not to the command line's own termination handling.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
