using System.CommandLine;
using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Synthetic;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Cli;

/// <summary>
/// <c>onnxllm demo</c>: the whole pipeline on a machine with no downloaded weights. Writes a synthetic Qwen2
/// checkpoint (real layout, generated weights, the real Qwen2.5 tokenizer), exports it to ONNX (or reuses
/// the export), and streams a chat answer. The weights are random, so the answer is gibberish; the
/// mechanics are the real ones.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Qwen2 config.json to synthesize.", DefaultValueFactory = _ => new FileInfo("tests/TestData/qwen2-tiny/config.json") };
        var tokenizer = new Option<DirectoryInfo>("--tokenizer") { Description = "Folder with vocab.json, merges.txt and instruct/tokenizer_config.json.", DefaultValueFactory = _ => new DirectoryInfo("tests/TestData/tokenizer/qwen2.5") };
        var workDir = new Option<DirectoryInfo>("--work-dir") { Description = "Where the checkpoint and the export go.", DefaultValueFactory = _ => new DirectoryInfo("models") };
        var prompt = new Option<string>("--prompt") { Description = "What to ask.", DefaultValueFactory = _ => "Write a haiku about ONNX Runtime." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens in the answer.", DefaultValueFactory = _ => 48 };
        var command = new Command("demo", "Synthesize a Qwen2 checkpoint, export it to ONNX, and stream a chat answer (no downloads).")
        {
            config, tokenizer, workDir, prompt, maxTokens,
        };
        command.SetAction(async (result, cancellationToken) => await CliErrors.RunAsync(async () =>
        {
            var configFile = result.GetRequiredValue(config);
            var tokenizerDir = result.GetRequiredValue(tokenizer);
            if (!configFile.Exists) throw new FileNotFoundException($"Config not found: {configFile.FullName} (run from the repository root, or pass --config).", configFile.FullName);
            string root = result.GetRequiredValue(workDir).FullName;
            string checkpoint = Path.Combine(root, "qwen2-synthetic-hf");
            string exported = Path.Combine(root, "qwen2-synthetic-onnx-fp16");

            if (!File.Exists(Path.Combine(exported, ModelFolderFiles.GenAiConfig)))
            {
                if (!File.Exists(Path.Combine(checkpoint, "config.json")))
                {
                    Console.Error.WriteLine($"Writing synthetic checkpoint (seed 22) to {checkpoint} ...");
                    await SyntheticCheckpointWriter.WriteAsync(configFile.FullName, 22, checkpoint, new SyntheticCheckpointOptions { Overwrite = true }, cancellationToken: cancellationToken);
                    foreach (var (from, to) in new[] { ("vocab.json", "vocab.json"), ("merges.txt", "merges.txt"), (Path.Combine("instruct", "tokenizer_config.json"), "tokenizer_config.json") })
                        File.Copy(Path.Combine(tokenizerDir.FullName, from), Path.Combine(checkpoint, to), overwrite: true);
                }
                var report = await Qwen2Exporter.ExportAsync(new ExportOptions { InputDirectory = checkpoint, OutputDirectory = exported, Overwrite = true, MaxLength = 4096 },
                    new ConsoleProgress(), cancellationToken);
                Console.Error.WriteLine($"Exported to {exported}: {string.Join(", ", report.Files.Select(f => $"{f.Key} ({f.Value:N0} B)"))}");
            }
            else
            {
                Console.Error.WriteLine($"Reusing {exported}");
            }

            using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = exported });
            string question = result.GetRequiredValue(prompt);
            Console.WriteLine($"> {question}");
            await ChatCommand.StreamAnswerAsync(client, [new ChatMessage(ChatRole.User, question)],
                new ChatOptions { MaxOutputTokens = result.GetValue(maxTokens) }, cancellationToken);
            return 0;
        }));
        return command;
    }
}
