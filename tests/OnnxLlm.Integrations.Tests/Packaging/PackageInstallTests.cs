using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using System.Xml.Linq;
using OnnxLlm.Export.Precision;
using OnnxLlm.Testing;

namespace OnnxLlm.Integrations.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: OnnxLlm.Packages.slnf packed into a temporary local feed, the README's "Use it
/// from .NET" snippet (read from README.md now, so the test fails when the README drifts) built into a fresh console
/// app that installs OnnxLlm from that feed into an empty NuGet folder, and the onnxllm tool installed from the same
/// feed into a fresh tool path. Opt-in (ONNXLLM_PACKAGE_TESTS=1): a clean pack, restore and build took 3.5 minutes
/// inside the full suite on 2 cores (2 minutes alone) and about 1.5 GB of temporary files.
/// </summary>
[TestClass]
public sealed class PackageInstallTests
{
    private const string OptInVariable = "ONNXLLM_PACKAGE_TESTS";

    /// <summary>Every package the repository ships; the feed must hold exactly these.</summary>
    private static readonly string[] s_packageIds =
        ["OnnxLlm", "OnnxLlm.ModelFolder", "OnnxLlm.Hub", "OnnxLlm.Export", "OnnxLlm.SemanticKernel", "OnnxLlm.Cli"];

    /// <summary>The onnxllm commands `--help` must list.</summary>
    private static readonly string[] s_toolCommands = ["export", "check-coreml", "synth", "score", "chat", "demo", "pull", "list", "rm"];

    /// <summary>The model path in the README snippet, replaced by the test model's folder.</summary>
    private const string ReadmeModelPath = "\"models/qwen2.5-0.5b-onnx\"";

    private static readonly string s_root = Path.Combine(Path.GetTempPath(), "onnxllm-package-tests", Guid.NewGuid().ToString("N")[..12]);
    private static readonly Lazy<Task<Feed>> s_feed = new(PackAsync);

    private sealed record Feed(string Directory, string Version, string NuGetConfig, IReadOnlyDictionary<string, string> Environment);

    [ClassCleanup]
    public static void DeleteFeed()
    {
        try { if (System.IO.Directory.Exists(s_root)) System.IO.Directory.Delete(s_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [TestMethod]
    public async Task Nuspecs_CarryMetadata_AndTheSdkDependsOnTheFormatNotTheExporter()
    {
        var feed = await FeedAsync();
        var packed = System.IO.Directory.GetFiles(feed.Directory, "*.nupkg").Select(Path.GetFileName).Order().ToArray();
        CollectionAssert.AreEquivalent(s_packageIds.Select(id => $"{id}.{feed.Version}.nupkg").ToArray(), packed,
            "OnnxLlm.Packages.slnf packs exactly the shipped packages (tests, samples and benchmarks are IsPackable=false)");

        foreach (string id in s_packageIds)
        {
            string nupkg = Path.Combine(feed.Directory, $"{id}.{feed.Version}.nupkg");
            Assert.IsTrue(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"{id}: symbols package (.snupkg) beside the .nupkg");
            using var zip = ZipFile.OpenRead(nupkg);
            var metadata = Nuspec(zip, id);
            XNamespace ns = metadata.Name.Namespace;
            string? Value(string name) => metadata.Element(ns + name)?.Value;

            var license = metadata.Element(ns + "license");
            Assert.AreEqual("expression", license?.Attribute("type")?.Value, $"{id}: licence expression");
            Assert.AreEqual("MIT", license?.Value, $"{id}: licence");
            string? readme = Value("readme");
            Assert.IsFalse(string.IsNullOrEmpty(readme), $"{id}: readme");
            var readmeEntry = zip.GetEntry(readme!);
            Assert.IsNotNull(readmeEntry, $"{id}: {readme} is in the package");
            using (var reader = new StreamReader(readmeEntry.Open()))
                StringAssert.StartsWith(reader.ReadToEnd(), "# ", $"{id}: the package README is markdown with a title");
            var repository = metadata.Element(ns + "repository");
            Assert.AreEqual("git", repository?.Attribute("type")?.Value, $"{id}: repository type");
            StringAssert.StartsWith(repository?.Attribute("url")?.Value ?? "", "https://", $"{id}: repository url");
            StringAssert.StartsWith(Value("projectUrl") ?? "", "https://", $"{id}: project url");
            Assert.IsFalse(string.IsNullOrWhiteSpace(Value("tags")), $"{id}: tags");
            StringAssert.Contains(Value("tags")!, "onnx", $"{id}: shared tags");
            Assert.IsFalse(string.IsNullOrWhiteSpace(Value("description")), $"{id}: description");
            Assert.AreEqual("OnnxLlm contributors", Value("authors"), $"{id}: authors");
        }

        using (var sdk = ZipFile.OpenRead(Path.Combine(feed.Directory, $"OnnxLlm.{feed.Version}.nupkg")))
        {
            using (var reader = new StreamReader(sdk.GetEntry("README.md")!.Open()))
                StringAssert.Contains(reader.ReadToEnd().ReplaceLineEndings("\n"), ReadmeUseItFromDotNetSnippet(RepositoryRoot()),
                    "the OnnxLlm package README shows the repository README's \"Use it from .NET\" snippet");
            var dependencies = Dependencies(Nuspec(sdk, "OnnxLlm"));
            CollectionAssert.Contains(dependencies, "OnnxLlm.ModelFolder", "the SDK reads folders through the format package");
            CollectionAssert.DoesNotContain(dependencies, "OnnxLlm.Export", "the SDK does not drag in the exporter");
            CollectionAssert.DoesNotContain(dependencies, "Google.Protobuf", "the SDK does not depend on protobuf itself");
        }
        using (var tool = ZipFile.OpenRead(Path.Combine(feed.Directory, $"OnnxLlm.Cli.{feed.Version}.nupkg")))
        {
            var metadata = Nuspec(tool, "OnnxLlm.Cli");
            XNamespace ns = metadata.Name.Namespace;
            Assert.AreEqual("DotnetTool", metadata.Element(ns + "packageTypes")?.Element(ns + "packageType")?.Attribute("name")?.Value);
            Assert.IsFalse(tool.Entries.Any(e => e.FullName.Contains("/runtimes/ios/") || e.FullName.Contains("/runtimes/android/")),
                "the tool leaves the native packages' mobile bundles out");
            Assert.IsTrue(tool.Entries.Any(e => e.FullName.EndsWith("runtimes/linux-x64/native/libonnxruntime.so")), "the tool carries the desktop runtimes");
        }
    }

    [TestMethod]
    public async Task ConsoleApp_InstallsOnnxLlmFromTheFeed_AndRunsTheReadmeSnippet()
    {
        var feed = await FeedAsync();
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        string repo = RepositoryRoot();

        string snippet = ReadmeUseItFromDotNetSnippet(repo);
        StringAssert.Contains(snippet, ReadmeModelPath, "the README snippet's model path (replaced by the test model)");
        StringAssert.Contains(snippet, "new OnnxLlmChatClient(");

        string app = Path.Combine(s_root, "ConsoleApp");
        System.IO.Directory.CreateDirectory(app);
        // Nothing above the temp folder may leak in: no Directory.Build.*, no central package versions.
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(app, name), "<Project />\n");
        File.Copy(feed.NuGetConfig, Path.Combine(app, "nuget.config"));
        File.WriteAllText(Path.Combine(app, "ConsoleApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="OnnxLlm" Version="{feed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), snippet.Replace(ReadmeModelPath, CSharpString(model)));

        var build = await Dotnet(feed, app, TimeSpan.FromMinutes(8), "build", "-c", "Release", "-nodeReuse:false");
        Assert.AreEqual(0, build.ExitCode, build.ToString());

        // Installed from the feed (source mapping sends OnnxLlm* only there), into the empty packages folder.
        string packages = feed.Environment["NUGET_PACKAGES"];
        foreach (var id in new[] { "onnxllm", "onnxllm.modelfolder" })
            Assert.IsTrue(File.Exists(Path.Combine(packages, id, feed.Version, $"{id}.{feed.Version}.nupkg")), $"{id} restored from the feed");
        var libraries = AssetsLibraries(Path.Combine(app, "obj", "project.assets.json"));
        Assert.IsFalse(libraries.Keys.Any(l => l.StartsWith("OnnxLlm.Export/", StringComparison.OrdinalIgnoreCase)), "no exporter in the app's graph");
        // Nor protobuf by any path (the SDK's tokenizer is its own byte-level BPE, not Microsoft.ML.Tokenizers, which brings it).
        var protobuf = libraries.Where(l => l.Key.StartsWith("Google.Protobuf/", StringComparison.OrdinalIgnoreCase))
            .Select(l => $"{l.Key} (through {string.Join(", ", l.Value)})").ToArray();
        Assert.IsEmpty(protobuf, "no protobuf in the app's graph: " + string.Join("; ", protobuf));

        string dll = Path.Combine(app, "bin", "Release", "net10.0", "ConsoleApp.dll");
        var run = await CommandRun.RunAsync("dotnet", [dll], app, feed.Environment, TimeSpan.FromMinutes(3));
        Console.WriteLine($"{run.Command}: {run.Elapsed.TotalSeconds:F1} s, {run.StdOut.Length} characters streamed");
        Assert.AreEqual(0, run.ExitCode, run.ToString());
        Assert.IsFalse(string.IsNullOrWhiteSpace(run.StdOut), "the snippet streamed text:\n" + run);
    }

    [TestMethod]
    public async Task Tool_InstallsFromTheFeed_ListsItsCommands_AndScores()
    {
        var feed = await FeedAsync();
        string tools = Path.Combine(s_root, "tools");
        var install = await Dotnet(feed, s_root, TimeSpan.FromMinutes(5),
            "tool", "install", "OnnxLlm.Cli", "--tool-path", tools, "--version", feed.Version, "--configfile", feed.NuGetConfig);
        Assert.AreEqual(0, install.ExitCode, install.ToString());

        string onnxllm = Path.Combine(tools, OperatingSystem.IsWindows() ? "onnxllm.exe" : "onnxllm");
        Assert.IsTrue(File.Exists(onnxllm), $"the tool's command is onnxllm ({string.Join(", ", System.IO.Directory.GetFiles(tools).Select(Path.GetFileName))})");
        var help = await CommandRun.RunAsync(onnxllm, ["--help"], s_root, feed.Environment, TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, help.ExitCode, help.ToString());
        foreach (var command in s_toolCommands)
            StringAssert.Matches(help.StdOut, new System.Text.RegularExpressions.Regex($@"(?m)^\s+{command}\b"), $"--help lists {command}\n{help}");

        // The installed tool loads ONNX Runtime's native library from its own package: one scoring run proves it.
        string model = await TestModels.TinyAsync(ExportPrecision.Fp32);
        var score = await CommandRun.RunAsync(onnxllm, ["score", "--model", model, "--ids", "1,2,3"], s_root, feed.Environment, TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, score.ExitCode, score.ToString());
        StringAssert.Contains(score.StdOut, "\"argmax\"", score.ToString());
    }

    private static Task<Feed> FeedAsync()
    {
        if (Environment.GetEnvironmentVariable(OptInVariable) != "1")
            Assert.Inconclusive($"Set {OptInVariable}=1 to pack the packages and install them from a local feed (several minutes).");
        return s_feed.Value;
    }

    /// <summary>Packs every package into a fresh feed, building from scratch into a private artifacts folder (the repository's bin/obj stay untouched).</summary>
    private static async Task<Feed> PackAsync()
    {
        string repo = RepositoryRoot();
        string feedDirectory = Path.Combine(s_root, "feed");
        string packages = Path.Combine(s_root, "packages");
        System.IO.Directory.CreateDirectory(feedDirectory);
        System.IO.Directory.CreateDirectory(packages);
        var environment = new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = packages, // empty: what the app and the tool use must come from the feed or the mirror
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["MSBUILDDISABLENODEREUSE"] = "1", // no build node outlives its command (and holds its output open)
        };

        var pack = await CommandRun.RunAsync("dotnet",
            ["pack", Path.Combine(repo, "OnnxLlm.Packages.slnf"), "-c", "Release", "-o", feedDirectory,
             "--artifacts-path", Path.Combine(s_root, "artifacts"), "-nodeReuse:false"],
            repo, new Dictionary<string, string>(environment) { ["NUGET_PACKAGES"] = DefaultNuGetPackages() }, TimeSpan.FromMinutes(10));
        Console.WriteLine($"{pack.Command}: {pack.Elapsed.TotalSeconds:F1} s");
        Assert.AreEqual(0, pack.ExitCode, pack.ToString());

        string sdkPackage = System.IO.Directory.GetFiles(feedDirectory, "OnnxLlm.*.nupkg")
            .Single(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), @"^OnnxLlm\.\d"));
        using var zip = ZipFile.OpenRead(sdkPackage);
        var metadata = Nuspec(zip, "OnnxLlm");
        string version = metadata.Element(metadata.Name.Namespace + "version")!.Value;

        // The feed, then the sources of the repository's own nuget.config; OnnxLlm* may only come from the feed.
        var mirrors = XDocument.Load(Path.Combine(repo, "nuget.config")).Root!.Element("packageSources")!.Elements("add")
            .Select(e => (Key: e.Attribute("key")!.Value, Url: e.Attribute("value")!.Value)).ToList();
        var config = new XDocument(new XElement("configuration",
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "local-feed"), new XAttribute("value", feedDirectory)),
                mirrors.Select(m => new XElement("add", new XAttribute("key", m.Key), new XAttribute("value", m.Url)))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "local-feed"),
                    new XElement("package", new XAttribute("pattern", "OnnxLlm")),
                    new XElement("package", new XAttribute("pattern", "OnnxLlm.*"))),
                mirrors.Select(m => new XElement("packageSource", new XAttribute("key", m.Key),
                    new XElement("package", new XAttribute("pattern", "*")))))));
        string nugetConfig = Path.Combine(s_root, "nuget.config");
        config.Save(nugetConfig);
        return new Feed(feedDirectory, version, nugetConfig, environment);
    }

    private static Task<CommandRun.Result> Dotnet(Feed feed, string workingDirectory, TimeSpan timeout, params string[] args) =>
        CommandRun.RunAsync("dotnet", args, workingDirectory, feed.Environment, timeout);

    /// <summary>The pack restores the repository's own dependencies from the usual global packages folder.</summary>
    private static string DefaultNuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static XElement Nuspec(ZipArchive package, string id)
    {
        var entry = package.Entries.Single(e => e.FullName == $"{id}.nuspec");
        using var stream = entry.Open();
        var root = XDocument.Load(stream).Root!;
        return root.Element(root.Name.Namespace + "metadata")!;
    }

    private static List<string> Dependencies(XElement metadata)
    {
        XNamespace ns = metadata.Name.Namespace;
        return metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToList();
    }

    /// <summary>The restored graph's libraries ("Id/Version"), each with the libraries that depend on it.</summary>
    private static Dictionary<string, List<string>> AssetsLibraries(string assetsFile)
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(assetsFile));
        var libraries = assets.RootElement.GetProperty("libraries").EnumerateObject().ToDictionary(l => l.Name, _ => new List<string>(), StringComparer.OrdinalIgnoreCase);
        foreach (var target in assets.RootElement.GetProperty("targets").EnumerateObject())
            foreach (var library in target.Value.EnumerateObject())
                if (library.Value.TryGetProperty("dependencies", out var dependencies))
                    foreach (var dependency in dependencies.EnumerateObject())
                        foreach (var key in libraries.Keys.Where(k => k.StartsWith(dependency.Name + "/", StringComparison.OrdinalIgnoreCase)))
                            if (!libraries[key].Contains(library.Name)) libraries[key].Add(library.Name);
        return libraries;
    }

    /// <summary>The first C# block under README.md's "## Use it from .NET".</summary>
    private static string ReadmeUseItFromDotNetSnippet(string repo)
    {
        string readme = File.ReadAllText(Path.Combine(repo, "README.md")).ReplaceLineEndings("\n");
        int section = readme.IndexOf("\n## Use it from .NET\n", StringComparison.Ordinal);
        Assert.IsTrue(section >= 0, "README.md has a \"## Use it from .NET\" section");
        int nextSection = readme.IndexOf("\n## ", section + 1, StringComparison.Ordinal);
        int open = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal);
        Assert.IsTrue(open >= 0 && (nextSection < 0 || open < nextSection), "\"Use it from .NET\" opens with a C# block");
        open += "```csharp\n".Length;
        int close = readme.IndexOf("```", open, StringComparison.Ordinal);
        return readme[open..close];
    }

    private static string CSharpString(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "OnnxLlm.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("OnnxLlm.sln not found above the test folder.");
    }
}
