using OnnxLlm.Hub;

namespace OnnxLlm.Cli;

/// <summary>Pull progress on stderr: one line per stage, and a per-file percentage while downloading.</summary>
internal sealed class ConsolePullProgress : IProgress<PullProgress>
{
    private readonly object _gate = new();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Dictionary<string, int> _lastPercent = new(StringComparer.Ordinal);
    private string? _stage;

    public void Report(PullProgress value)
    {
        lock (_gate)
        {
            if (value.Stage != "downloading")
            {
                if (_interactive && _stage == "downloading") Console.Error.WriteLine();
                if (value.Stage != _stage) Console.Error.WriteLine($"{value.Stage} ...");
                _stage = value.Stage;
                return;
            }
            _stage = value.Stage;
            int percent = value.BytesTotal is > 0 and long total ? (int)(100 * value.BytesDone / total) : 0;
            string file = value.File ?? "";
            if (_lastPercent.TryGetValue(file, out int last) && last == percent) return;
            _lastPercent[file] = percent;
            string line = $"  {file,-40} {Bar(percent)} {percent,3}% {value.BytesDone / 1048576.0,9:0.0} MiB";
            if (_interactive) Console.Error.Write($"\r{line}");
            else if (percent % 25 == 0) Console.Error.WriteLine(line);
        }
    }

    private static string Bar(int percent) => "[" + new string('#', percent / 5).PadRight(20) + "]";
}
