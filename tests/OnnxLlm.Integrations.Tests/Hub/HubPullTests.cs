using Microsoft.Extensions.AI;
using OnnxLlm.Chat;
using OnnxLlm.Export.Precision;
using OnnxLlm.Hub;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Hub;

/// <summary>Pull → export → chat against a local fake Hub, with the Hub's failure modes.</summary>
[TestClass]
public sealed class HubPullTests
{
    private const string Repository = "test-org/qwen2-tiny";
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private static async Task<FakeHub> StartHubAsync(long? maxShardBytes = null)
    {
        var hub = new FakeHub();
        hub.AddRepository(Repository, await TestModels.CheckpointAsync(TestModels.TinyConfig, Golden.Instance.Seed, "instruct", maxShardBytes), Commit);
        await hub.StartAsync();
        return hub;
    }

    private static HubOptions Options(FakeHub? hub, string? cache = null) => new()
    {
        Endpoint = hub?.Endpoint ?? new Uri("http://127.0.0.1:9/"), // port 9 (discard): nothing listens there
        CacheDirectory = cache ?? Path.Combine(TestModels.Root, "hubcache-" + Guid.NewGuid().ToString("N")),
        MaxAttempts = 3,
        InitialRetryDelay = TimeSpan.FromMilliseconds(10),
    };

    [TestMethod]
    public async Task Pull_ExportsAndChats_AndASecondPullIsACacheHitWithoutNetwork()
    {
        var options = Options(null);
        await using (var hub = await StartHubAsync())
        {
            options.Endpoint = hub.Endpoint;
            using var puller = new ModelPuller(options);
            var pulled = await puller.PullAsync(HubModelId.Parse(Repository));
            Assert.IsFalse(pulled.FromCache);
            Assert.AreEqual(Commit, pulled.CommitSha);
            Assert.IsTrue(File.Exists(Path.Combine(pulled.ModelDirectory, "genai_config.json")));
        }
        // The Hub is gone: the cached export must be used without any network.
        using var client = new OnnxLlmChatClient(new OnnxLlmOptions
        {
            ModelPath = Repository, IntraOpThreads = 1,
            ModelResolver = new HuggingFaceModelResolver(new HuggingFaceModelResolverOptions { Hub = options }),
        });
        Assert.AreEqual(Repository, client.Model.ModelId);
        var response = await client.GetResponseAsync("hi", new ChatOptions { MaxOutputTokens = 3, Seed = 1 });
        Assert.AreEqual(3, (int)response.Usage!.OutputTokenCount!);
        using var offlinePuller = new ModelPuller(options);
        Assert.IsTrue((await offlinePuller.PullAsync(HubModelId.Parse(Repository))).FromCache);
    }

    [TestMethod]
    public async Task DroppedConnectionMidShard_IsResumedWithARangeRequest()
    {
        await using var hub = await StartHubAsync();
        hub.DropOnce = ("model.safetensors", 1_000_000);
        using var puller = new ModelPuller(Options(hub));
        var pulled = await puller.PullAsync(HubModelId.Parse(Repository));
        Assert.IsTrue(File.Exists(Path.Combine(pulled.ModelDirectory, "model.onnx")));
        var cdn = hub.Requests.Where(r => r.Path.StartsWith("/cdn/") && r.Path.EndsWith("model.safetensors")).ToList();
        Assert.HasCount(2, cdn);
        // The abort may discard bytes still in flight, so the client resumes from what it really received:
        // a positive offset no larger than what was sent. The checksum check proves the reassembled file.
        var match = System.Text.RegularExpressions.Regex.Match(cdn[1].Range ?? "", @"^bytes=(\d+)-$");
        Assert.IsTrue(match.Success, $"the second request must be a resume (Range: {cdn[1].Range})");
        long resumedAt = long.Parse(match.Groups[1].Value);
        Assert.IsGreaterThan(0L, resumedAt);
        Assert.IsLessThanOrEqualTo(1_000_000L, resumedAt);
    }

    [TestMethod]
    public async Task WrongChecksum_FailsAndDeletesTheDownload()
    {
        await using var hub = await StartHubAsync();
        hub.WrongChecksumFor = "model.safetensors";
        var options = Options(hub);
        using var puller = new ModelPuller(options);
        var ex = await Assert.ThrowsExactlyAsync<HubIntegrityException>(() => puller.PullAsync(HubModelId.Parse(Repository)));
        StringAssert.Contains(ex.Message, "model.safetensors");
        string checkpoint = puller.Cache.CheckpointDirectory(Repository, Commit);
        Assert.IsFalse(File.Exists(Path.Combine(checkpoint, "model.safetensors")));
        Assert.IsFalse(File.Exists(Path.Combine(checkpoint, "model.safetensors.incomplete")));
        Assert.IsFalse(Directory.Exists(puller.Cache.ExportDirectory(Repository, Commit, new PullOptions().Variant)));
    }

    [TestMethod]
    public async Task GatedModel_Needs401Token_AndTheTokenNeverReachesTheFileHost()
    {
        await using var hub = await StartHubAsync();
        hub.RequiredToken = "hf_secret";
        var options = Options(hub);
        using (var anonymous = new ModelPuller(options))
        {
            var ex = await Assert.ThrowsExactlyAsync<HubAuthenticationException>(() => anonymous.PullAsync(HubModelId.Parse(Repository)));
            StringAssert.Contains(ex.Message, "HF_TOKEN");
        }
        options.Token = "hf_secret";
        using var authorized = new ModelPuller(options);
        Assert.IsFalse((await authorized.PullAsync(HubModelId.Parse(Repository))).FromCache);
        Assert.IsTrue(hub.Requests.Where(r => r.Path.StartsWith("/cdn/")).All(r => r.Authorization is null), "the token leaked to the file host");
    }

    [TestMethod]
    public async Task UnknownModel_Is404()
    {
        await using var hub = await StartHubAsync();
        using var puller = new ModelPuller(Options(hub));
        var ex = await Assert.ThrowsExactlyAsync<HubModelNotFoundException>(() => puller.PullAsync(HubModelId.Parse("test-org/missing")));
        StringAssert.Contains(ex.Message, "test-org/missing");
    }

    [TestMethod]
    public async Task OfflineMode_UsesTheCache_OrSaysItIsNotCached()
    {
        var options = Options(null);
        options.Offline = true;
        using (var puller = new ModelPuller(options))
        {
            var ex = await Assert.ThrowsExactlyAsync<HubOfflineException>(() => puller.PullAsync(HubModelId.Parse(Repository)));
            StringAssert.Contains(ex.Message, options.CacheDirectory);
        }
        await using (var hub = await StartHubAsync())
        {
            options.Offline = false;
            options.Endpoint = hub.Endpoint;
            using var online = new ModelPuller(options);
            await online.PullAsync(HubModelId.Parse(Repository));
        }
        options.Offline = true;
        using var offline = new ModelPuller(options);
        var pulled = await offline.PullAsync(HubModelId.Parse(Repository), new PullOptions { Refresh = true });
        Assert.IsTrue(pulled.FromCache);
    }

    [TestMethod]
    public async Task DamagedCacheEntry_IsDetectedAndRedone()
    {
        await using var hub = await StartHubAsync();
        var options = Options(hub);
        using var puller = new ModelPuller(options);
        var first = await puller.PullAsync(HubModelId.Parse(Repository));
        File.Delete(Path.Combine(first.ModelDirectory, "model.onnx"));
        var second = await puller.PullAsync(HubModelId.Parse(Repository));
        Assert.IsFalse(second.FromCache, "a damaged export must be redone, not used");
        Assert.IsTrue(File.Exists(Path.Combine(second.ModelDirectory, "model.onnx")));
    }

    [TestMethod]
    public async Task ConcurrentPullsOfOneShardedModel_DownloadOnce_AndAgree()
    {
        await using var hub = await StartHubAsync(maxShardBytes: 8_000_000);
        var options = Options(hub);
        using var a = new ModelPuller(options);
        using var b = new ModelPuller(options);
        var results = await Task.WhenAll(a.PullAsync(HubModelId.Parse(Repository)), b.PullAsync(HubModelId.Parse(Repository)));
        Assert.AreEqual(results[0].ModelDirectory, results[1].ModelDirectory);
        var shards = hub.Requests.Where(r => r.Path.StartsWith("/cdn/")).Select(r => r.Path).ToList();
        Assert.IsGreaterThan(1, shards.Distinct().Count(), "expected several shards");
        Assert.HasCount(shards.Distinct().Count(), shards, "each shard must be downloaded once");
    }

    [TestMethod]
    public async Task CacheListing_ShowsThePulledModel_AndRemoveDeletesIt()
    {
        await using var hub = await StartHubAsync();
        using var puller = new ModelPuller(Options(hub));
        var pulled = await puller.PullAsync(HubModelId.Parse(Repository + "@main"));
        var entry = puller.Cache.List().Single();
        Assert.AreEqual(Repository, entry.Repository);
        Assert.AreEqual(Commit, entry.CommitSha);
        CollectionAssert.Contains(entry.Revisions.ToList(), "main");
        Assert.AreEqual(pulled.ModelDirectory, entry.Exports["fp16-cpu"].Directory);
        Assert.IsGreaterThan(0L, entry.CheckpointBytes);
        Assert.IsTrue(puller.Cache.Remove(Repository));
        Assert.IsEmpty(puller.Cache.List());
        Assert.IsFalse(puller.Cache.Remove(Repository));
    }

    [TestMethod]
    public async Task Cli_ChatWithAModelId_PullsExportsAndAnswers()
    {
        await using var hub = await StartHubAsync();
        string cache = Path.Combine(TestModels.Root, "clicache-" + Guid.NewGuid().ToString("N"));
        var start = DotnetProcess.StartInfo("OnnxLlm.Cli.dll", "chat", "--model", Repository, "--prompt", "hi", "--max-tokens", "3", "--seed", "1");
        start.Environment["HF_ENDPOINT"] = hub.Endpoint.ToString();
        start.Environment["ONNXLLM_CACHE"] = cache;
        var (exitCode, _, stderr) = await DotnetProcess.RunAsync(start, TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exitCode, stderr);
        StringAssert.Contains(stderr, "3 tokens");
        Assert.IsTrue(Directory.Exists(Path.Combine(cache, "exports", "test-org--qwen2-tiny", Commit, "fp16-cpu")));
    }

    [TestMethod]
    public async Task Cli_PullInt4_ThenChatAtInt4_UsesTheCachedExport()
    {
        await using var hub = await StartHubAsync();
        string cache = Path.Combine(TestModels.Root, "clicache-" + Guid.NewGuid().ToString("N"));
        System.Diagnostics.ProcessStartInfo Cli(params string[] args)
        {
            var start = DotnetProcess.StartInfo("OnnxLlm.Cli.dll", args);
            start.Environment["HF_ENDPOINT"] = hub.Endpoint.ToString();
            start.Environment["ONNXLLM_CACHE"] = cache;
            return start;
        }

        var pull = await DotnetProcess.RunAsync(Cli("pull", Repository, "--precision", "int4"), TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, pull.ExitCode, pull.StdErr);
        string export = Path.Combine(cache, "exports", "test-org--qwen2-tiny", Commit, "int4-cpu");
        StringAssert.Contains(await File.ReadAllTextAsync(Path.Combine(export, "onnxllm_export.json")), "\"lm_head_quantized\": true");

        int requestsAfterPull = hub.Requests.Count;
        var chat = Cli("chat", "--model", Repository, "--precision", "int4", "--prompt", "hi", "--max-tokens", "3", "--seed", "1");
        chat.Environment["HF_HUB_OFFLINE"] = "1";
        var (exitCode, _, stderr) = await DotnetProcess.RunAsync(chat, TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exitCode, stderr);
        StringAssert.Contains(stderr, "3 tokens");
        Assert.AreEqual(requestsAfterPull, hub.Requests.Count, "the int4 export came from the cache");
        Assert.IsFalse(Directory.Exists(Path.Combine(cache, "exports", "test-org--qwen2-tiny", Commit, "fp16-cpu")), "no other precision was exported");
    }

    [TestMethod]
    public async Task Cli_PullQwen3_ExportsAQwen3Folder_ThatChatsWithItsThinkingSwitch()
    {
        // A Qwen3-shaped repository (qwen3-tiny weights, Qwen3's tokenizer_config.json and generation_config.json) under Qwen3's own id.
        const string qwen3 = "Qwen/Qwen3-0.6B";
        string checkpoint = TestModels.CopyFolder(
            await TestModels.CheckpointAsync(TestModels.Qwen3TinyConfig, Golden.Qwen3.Seed, TestModels.Qwen3Tokenizer), "qwen3-repo");
        File.Copy(TestModels.TestData("configs", "qwen3-0.6b", "generation_config.json"), Path.Combine(checkpoint, "generation_config.json"), overwrite: true);
        await using var hub = new FakeHub();
        hub.AddRepository(qwen3, checkpoint, Commit);
        await hub.StartAsync();
        string cache = Path.Combine(TestModels.Root, "clicache-" + Guid.NewGuid().ToString("N"));

        var pull = DotnetProcess.StartInfo("OnnxLlm.Cli.dll", "pull", qwen3, "--precision", "fp32");
        pull.Environment["HF_ENDPOINT"] = hub.Endpoint.ToString();
        pull.Environment["ONNXLLM_CACHE"] = cache;
        var (exitCode, _, stderr) = await DotnetProcess.RunAsync(pull, TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, exitCode, stderr);

        string export = Path.Combine(cache, "exports", "Qwen--Qwen3-0.6B", Commit, "fp32-cpu");
        using (var genai = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(export, "genai_config.json"))))
        {
            var model = genai.RootElement.GetProperty("model");
            Assert.AreEqual("qwen3", model.GetProperty("type").GetString());
            Assert.AreEqual(0.6, genai.RootElement.GetProperty("search").GetProperty("temperature").GetDouble(), 1e-9, "Qwen3's sampling defaults travel");
        }

        using var client = new OnnxLlmChatClient(new OnnxLlmOptions { ModelPath = export, IntraOpThreads = 1 });
        var off = new ChatOptions { MaxOutputTokens = 3, Seed = 1, Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None } };
        string prompt = client.Model.Tokenizer.Decode(client.BuildRequest([new ChatMessage(ChatRole.User, "hi")], off).PromptTokens);
        StringAssert.EndsWith(prompt, "<|im_start|>assistant\n<think>\n\n</think>\n\n");
        var response = await client.GetResponseAsync("hi", off);
        Assert.AreEqual(3, (int)response.Usage!.OutputTokenCount!);
    }

    [TestMethod]
    public async Task UnreachableHub_FailsWithTheEndpointAndWhatToDo()
    {
        var options = Options(hub: null); // nothing listens at its endpoint
        using var puller = new ModelPuller(options);

        var error = await Assert.ThrowsExactlyAsync<HttpRequestException>(() => puller.PullAsync(HubModelId.Parse(Repository)));

        StringAssert.Contains(error.Message, $"Could not reach the Hugging Face Hub at {options.Endpoint}");
        StringAssert.Contains(error.Message, "HF_ENDPOINT");
        Assert.IsNotNull(error.InnerException, "the network error is kept");
    }
}
