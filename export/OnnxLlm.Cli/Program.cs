using System.CommandLine;
using OnnxLlm.Cli;

var root = new RootCommand("onnxllm: export Hugging Face Qwen2 / Qwen2.5 / Qwen3 checkpoints to ONNX and run them, with no Python.")
{
    ExportCommand.Create(),
    CheckCoreMLCommand.Create(),
    SynthCommand.Create(),
    ScoreCommand.Create(),
    ChatCommand.Create(),
    DemoCommand.Create(),
    PullCommand.CreatePull(),
    PullCommand.CreateList(),
    PullCommand.CreateRemove(),
};
return await root.Parse(args).InvokeAsync();
