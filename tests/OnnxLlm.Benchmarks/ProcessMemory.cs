using System.Diagnostics;

namespace OnnxLlm.Benchmarks;

/// <summary>
/// This process's resident memory as the kernel counts it (/proc/self/status on Linux): current RSS, its anonymous
/// (heap, arena, packed weights) and file-backed (mmapped files) parts, and the peak (VmHWM), which
/// <see cref="ResetPeak"/> sets back to the current RSS so a phase (loading, generating) gets a peak of its own.
/// Elsewhere only the totals .NET reports are available (the split reads 0, the reset does nothing).
/// </summary>
internal readonly record struct ProcessMemory(double RssMiB, double PeakMiB, double AnonMiB, double FileMiB)
{
    public static ProcessMemory Read()
    {
        if (!OperatingSystem.IsLinux())
        {
            using var process = Process.GetCurrentProcess();
            return new ProcessMemory(process.WorkingSet64 / Mi, process.PeakWorkingSet64 / Mi, 0, 0);
        }
        double rss = 0, peak = 0, anon = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kib(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kib(line);
            else if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kib(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kib(line);
        }
        return new ProcessMemory(rss, peak, anon, file);
    }

    /// <summary>Resets the peak to the current RSS (Linux: "5" to /proc/self/clear_refs); false where that is not possible.</summary>
    public static bool ResetPeak()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private const double Mi = 1024.0 * 1024.0;

    private static double Kib(string line) =>
        long.Parse(line.Split(':', 2)[1].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
}
