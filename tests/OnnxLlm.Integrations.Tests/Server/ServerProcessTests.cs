using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>
/// The sample as a user runs it: its own process, the friendly <c>--model</c> switch, the API key from the
/// ONNXLLM_API_KEY environment variable, and a graceful stop on SIGTERM (what Ctrl+C, docker stop and systemd send).
/// </summary>
[TestClass]
public sealed class ServerProcessTests
{
    [TestMethod]
    public async Task Process_ServesWithEnvironmentKey_AndStopsGracefullyOnSigterm()
    {
        if (OperatingSystem.IsWindows()) Assert.Inconclusive("SIGTERM is a POSIX signal.");
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        int port = ServerProcess.FreePort();
        var start = DotnetProcess.StartInfo("OpenAiServer.dll", "--model", model, "--urls", $"http://127.0.0.1:{port}");
        start.Environment["ONNXLLM_API_KEY"] = "sk-from-env";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            await ServerProcess.WaitUntilListeningAsync(http, process, stderr);

            Assert.AreEqual(HttpStatusCode.Unauthorized, (await http.GetAsync("v1/models")).StatusCode);
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"messages":[{"role":"user","content":"你好"}],"max_tokens":3}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-from-env");
            var response = await http.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
            Assert.Contains("\"completion_tokens\":3", body);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(wait.Token);
            Assert.AreEqual(0, process.ExitCode, await stderr);
            Assert.Contains("Application is shutting down", await stdout);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
