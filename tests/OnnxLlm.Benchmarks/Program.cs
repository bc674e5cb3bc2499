using OnnxLlm.Benchmarks;

// Decode benchmark: synthetic Qwen2.5-shaped models (weights generated from config + seed), exported at each
// precision, timed on this machine. Figures are printed side by side as Markdown and written as JSON.
// Usage: dotnet run -c Release --project tests/OnnxLlm.Benchmarks -- [--configs DIR,...] [--precisions fp16,fp32,int4,int8]
//        [--prompt 128] [--decode 64] [--threads 2] [--work DIR] [--json FILE]
//        --mode masking: per-token cost of JSON-schema constrained decoding (see MaskingBenchmark).
var settings = BenchmarkSettings.Parse(args);
if (settings.Mode == "masking")
{
    MaskingBenchmark.Run(settings);
    return 0;
}
var results = new List<DecodeBenchmarkResult>();
foreach (var config in settings.Configs)
    foreach (var precision in settings.Precisions)
        results.Add(await DecodeBenchmark.RunAsync(config, precision, settings));
ResultTable.Print(results, settings);
ResultTable.WriteJson(results, settings.JsonPath);
return 0;
