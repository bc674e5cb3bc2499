using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OnnxLlm.Backends;

namespace OnnxLlm.Integrations.Tests.Server;

/// <summary>The server on the GenAI backend, chosen through configuration on its command line.</summary>
[TestClass]
public sealed class ServerGenAiBackendTests
{
    private const string Body = """{"messages":[{"role":"user","content":"What is ONNX?"}],"max_tokens":12,"temperature":0}""";

    [TestMethod]
    public async Task BackendGenAiOnTheCommandLine_ServesTheSameGreedyAnswerAsOurLoop()
    {
        string expected;
        await using (var ours = await ServerFixture.StartAsync())
        {
            Assert.AreEqual(InferenceBackend.OnnxLlm, ours.Services.GetRequiredService<OnnxLlmModel>().Backend);
            expected = await ContentAsync(ours);
        }
        await using var genAi = await ServerFixture.StartAsync("--backend", "genai");
        Assert.AreEqual(InferenceBackend.GenAI, genAi.Services.GetRequiredService<OnnxLlmModel>().Backend);
        Assert.AreEqual(expected, await ContentAsync(genAi));
    }

    private static async Task<string> ContentAsync(ServerFixture server)
    {
        using var response = await server.PostAsync("v1/chat/completions", Body);
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
        using var doc = JsonDocument.Parse(body);
        var choice = doc.RootElement.GetProperty("choices")[0];
        Assert.AreEqual("length", choice.GetProperty("finish_reason").GetString(), body);
        Assert.AreEqual(12, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), body);
        return choice.GetProperty("message").GetProperty("content").GetString()!;
    }
}
