using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HostedApp;

/// <summary>Asks the configured question once, prints the streamed answer, then stops the host.</summary>
public sealed class AssistantWorker(Assistant assistant, IOptions<AssistantOptions> options, IHostApplicationLifetime lifetime,
    ILogger<AssistantWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            string prompt = options.Value.Prompt;
            logger.LogInformation("Asking ({Provider}): {Prompt}", options.Value.Provider, prompt);
            await foreach (var text in assistant.AnswerAsync(prompt, stoppingToken))
                Console.Write(text);
            Console.WriteLine();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The chat failed: {Message}", ex.Message);
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
