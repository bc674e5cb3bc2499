using System.Diagnostics;

namespace OnnxLlm.Export.Tests.Cli;

/// <summary>Runs the real `onnxllm` program (OnnxLlm.Cli.dll, copied beside the tests) as a child process.</summary>
internal static class CliRunner
{
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "OnnxLlm.Cli.dll");
        Assert.IsTrue(File.Exists(dll), $"CLI not found at {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"onnxllm {string.Join(' ', args)} did not finish in 3 minutes.");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
