using OnnxLlm.Testing;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary>Runs the real `onnxllm` program (OnnxLlm.Cli.dll, copied beside the tests) as a child process.</summary>
internal static class CliRunner
{
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(params string[] args) =>
        DotnetProcess.RunAsync(DotnetProcess.StartInfo("OnnxLlm.Cli.dll", args), TimeSpan.FromMinutes(3));
}
