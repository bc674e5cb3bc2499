namespace OnnxLlm.Cli;

/// <summary>Turns expected failures (bad input, missing files, cancellation) into one clear line and an exit code.</summary>
internal static class CliErrors
{
    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("Cancelled.");
            return 130;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or FormatException
                                       or NotSupportedException or ArgumentException or KeyNotFoundException or HttpRequestException)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }
}
