using System.Diagnostics;
using System.Text;

namespace OnnxLlm.Integrations.Tests.Packaging;

/// <summary>A command (dotnet, the installed tool, the consumer app) run to completion with its output captured.</summary>
internal static class CommandRun
{
    internal sealed record Result(string Command, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
    {
        public override string ToString() => $"{Command} exited {ExitCode} after {Elapsed.TotalSeconds:F1} s\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The test host runs under `dotnet test`: its MSBuild variables would point a child build at the outer one.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        string command = $"{Path.GetFileName(fileName)} {string.Join(' ', start.ArgumentList)}";
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish within {timeout}.\nstdout:\n{stdout}\nstderr:\n{stderr}");
        }
        lock (stdout) lock (stderr) return new Result(command, process.ExitCode, stdout.ToString(), stderr.ToString(), clock.Elapsed);
    }
}
