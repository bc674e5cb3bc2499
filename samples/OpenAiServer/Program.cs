using OnnxLlm.Samples.OpenAiServer;

// An OpenAI-compatible HTTP server over OnnxLlm, e.g.
//   dotnet run --project samples/OpenAiServer -- --model ./models/qwen2.5-0.5b-instruct --urls http://127.0.0.1:8000
// Ctrl+C stops it gracefully: the host stops accepting connections and cancels running generations.
await ServerApp.Build(args).RunAsync();
