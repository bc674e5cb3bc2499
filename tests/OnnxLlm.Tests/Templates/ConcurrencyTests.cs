using System.Collections.Concurrent;
using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>One parsed template rendered from many threads gives the same text as sequential renders.</summary>
[TestClass]
public sealed class ConcurrencyTests
{
    [TestMethod]
    public void ParallelRendersOfOneTemplateAreIdentical()
    {
        var template = ChatTemplate.FromTokenizerConfig(TemplateTestHelpers.TestDataPath("tokenizer", "qwen2.5", "instruct", "tokenizer_config.json"));
        var inputs = GoldenChatTemplateTests.Cases()
            .Where(c => (string)c[0]! == "instruct")
            .Select(c => (Messages: System.Text.Json.JsonDocument.Parse((string)c[3]!).RootElement,
                          Tools: c[4] is string t ? System.Text.Json.JsonDocument.Parse(t).RootElement : (System.Text.Json.JsonElement?)null,
                          Agp: (bool)c[2]!,
                          Expected: (string)c[5]!))
            .ToList();

        // A template that mutates namespace state per render must not bleed between concurrent renders either.
        var stateful = ChatTemplate.Parse("{% set ns = namespace(items=[]) %}{% for m in messages %}{{ ns.items.append(m.role) or '' }}{% endfor %}{{ ns.items | join(',') }}");

        var failures = new ConcurrentBag<string>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var input = inputs[i % inputs.Count];
            string actual = template.Render(
                input.Messages.EnumerateArray().Cast<object?>().ToList(),
                input.Tools?.EnumerateArray().Cast<object?>().ToList(),
                input.Agp);
            if (actual != input.Expected) failures.Add($"iteration {i}: golden mismatch");
            string roles = stateful.Render(new Dictionary<string, object?> { ["messages"] = input.Messages });
            string expectedRoles = string.Join(",", input.Messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
            if (roles != expectedRoles) failures.Add($"iteration {i}: '{roles}' != '{expectedRoles}'");
        });

        Assert.IsEmpty(failures, string.Join("\n", failures.Take(5)));
    }
}
