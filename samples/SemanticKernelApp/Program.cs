using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

// Semantic Kernel over OnnxLlm: a prompt function with template variables, then a ChatHistory conversation,
// both answered in-process by a Qwen model. Usage: SemanticKernelApp --model DIR|MODEL_ID [--max-tokens N]
string model = ArgumentValue(args, "--model") ?? "Qwen/Qwen2.5-0.5B-Instruct";
int maxTokens = int.Parse(ArgumentValue(args, "--max-tokens") ?? "128");

var kernel = Kernel.CreateBuilder()
    .AddOnnxLlmChatCompletion(model)
    .Build();

// SK's settings reach the engine: temperature, top_p, top_k, seed, max_tokens, stop_sequences and, as extension
// data, repetition_penalty. Temperature 0 makes the answers repeatable.
var settings = new PromptExecutionSettings
{
    ExtensionData = new Dictionary<string, object> { ["temperature"] = 0, ["max_tokens"] = maxTokens },
};

var summarize = kernel.CreateFunctionFromPrompt("Explain {{$topic}} to a child in one sentence.", settings, "explain");
Console.WriteLine("## Prompt function");
Console.WriteLine(await kernel.InvokeAsync(summarize, new KernelArguments { ["topic"] = "rainbows" }));

Console.WriteLine("## Chat history");
var chat = kernel.GetRequiredService<IChatCompletionService>();
var history = new ChatHistory("You are a helpful assistant.");
foreach (var question in new[] { "你好", "What can you do?" })
{
    history.AddUserMessage(question);
    Console.WriteLine($"user: {question}");
    Console.Write("assistant: ");
    var answer = new System.Text.StringBuilder();
    await foreach (var chunk in chat.GetStreamingChatMessageContentsAsync(history, settings, kernel))
    {
        Console.Write(chunk.Content);
        answer.Append(chunk.Content);
    }
    Console.WriteLine();
    history.AddAssistantMessage(answer.ToString());
}
return 0;

static string? ArgumentValue(string[] args, string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
