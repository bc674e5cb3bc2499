using System.Diagnostics;
using System.Text;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Samples;

/// <summary>
/// A sample running as a child process with live access to its output, for tests that react to what it prints
/// (wait for an answer to start, interrupt it, type the next line).
/// </summary>
internal sealed class SampleRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _pumps;

    private SampleRun(Process process)
    {
        _process = process;
        _pumps = Task.WhenAll(Pump(process.StandardOutput, _stdout), Pump(process.StandardError, _stderr));
    }

    public static SampleRun Start(string assembly, params string[] args)
    {
        var start = DotnetProcess.StartInfo(assembly, args);
        if (InterruptIgnored()) ResetInterrupt(start);
        start.StandardOutputEncoding = Encoding.UTF8;
        start.StandardInputEncoding = new UTF8Encoding(false);
        return new SampleRun(Process.Start(start)!);
    }

    public int ProcessId => _process.Id;

    /// <summary>
    /// Whether this process ignores SIGINT, which children inherit (a test run started from a background job of a
    /// non-interactive shell): .NET then never raises Ctrl+C in the sample, as in any program started that way.
    /// </summary>
    public static bool InterruptIgnored()
    {
        if (!OperatingSystem.IsLinux()) return false;
        string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (2 - 1))) != 0; // SIGINT = 2
    }

    /// <summary>Starts the sample with SIGINT at its default disposition, as a terminal would (perl resets it, then execs).</summary>
    private static void ResetInterrupt(ProcessStartInfo start)
    {
        var args = new List<string> { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\"", start.FileName };
        args.AddRange(start.ArgumentList);
        start.FileName = "perl";
        start.ArgumentList.Clear();
        foreach (var a in args) start.ArgumentList.Add(a);
    }

    public string StdOut { get { lock (_stdout) return _stdout.ToString(); } }

    public string StdErr { get { lock (_stderr) return _stderr.ToString(); } }

    public Task WriteLineAsync(string line) => _process.StandardInput.WriteLineAsync(line);

    /// <summary>Waits until stdout satisfies <paramref name="condition"/>, or fails with what was printed.</summary>
    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition(StdOut))
        {
            if (deadline.Elapsed > timeout || _process.HasExited && !condition(StdOut))
                Assert.Fail($"Timed out waiting for {what}.\nstdout:\n{StdOut}\nstderr:\n{StdErr}");
            await Task.Delay(20);
        }
    }

    /// <summary>Closes stdin and waits for the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { Assert.Fail($"The sample did not exit.\nstdout:\n{StdOut}\nstderr:\n{StdErr}"); }
        await _pumps;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[256];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
            lock (into) into.Append(buffer, 0, read);
    }
}
