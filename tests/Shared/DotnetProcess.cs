using System.Diagnostics;

namespace OnnxLlm.Testing;

/// <summary>
/// Runs a program whose assembly sits beside the tests (a referenced sample or the CLI) as a child process,
/// with the test assembly's runtimeconfig and deps: the test project's frameworks (ASP.NET Core flows in
/// from the server sample) provide assemblies the program's own, narrower runtimeconfig would not find.
/// </summary>
internal static class DotnetProcess
{
    public static ProcessStartInfo StartInfo(string assemblyFileName, params string[] args)
    {
        string dir = AppContext.BaseDirectory;
        string testAssembly = typeof(DotnetProcess).Assembly.GetName().Name!;
        string program = Path.Combine(dir, assemblyFileName);
        if (!File.Exists(program)) throw new FileNotFoundException($"{assemblyFileName} is not beside the tests in {dir}.", program);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "exec", "--runtimeconfig", Path.Combine(dir, testAssembly + ".runtimeconfig.json"),
                     "--depsfile", Path.Combine(dir, testAssembly + ".deps.json"), program })
            start.ArgumentList.Add(a);
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    /// <summary>Runs to completion (killed after <paramref name="timeout"/>); returns exit code and output.</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(ProcessStartInfo start, TimeSpan timeout, string? stdin = null)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList)} did not finish within {timeout}.\nstderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
