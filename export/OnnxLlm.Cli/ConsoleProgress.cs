using OnnxLlm.Export.Exporting;

namespace OnnxLlm.Cli;

/// <summary>Prints export progress on one updating line to stderr (stdout stays clean for results).</summary>
internal sealed class ConsoleProgress : IProgress<ExportProgress>
{
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private string? _lastStage;

    public void Report(ExportProgress value)
    {
        string line = $"{value.Stage}: {value.Completed}/{value.Total}";
        if (_interactive)
        {
            Console.Error.Write($"\r{line,-60}");
            if (value.Stage == "done") Console.Error.WriteLine();
        }
        else if (value.Stage != _lastStage || value.Completed == value.Total)
        {
            Console.Error.WriteLine(line);
        }
        _lastStage = value.Stage;
    }
}
