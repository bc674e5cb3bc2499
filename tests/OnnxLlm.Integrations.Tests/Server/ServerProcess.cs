using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>Helpers for tests that run the sample server in a process of its own.</summary>
internal static class ServerProcess
{
    /// <summary>A loopback port nothing listens on now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <c>/v1/models</c> until the server answers (any status), failing with its stderr if it exits.</summary>
    public static async Task WaitUntilListeningAsync(HttpClient http, Process process, Task<string> stderr)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) Assert.Fail($"The server exited with {process.ExitCode}: {await stderr}");
            try
            {
                await http.GetAsync("v1/models");
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail("The server did not start listening within 60 s.");
    }
}
