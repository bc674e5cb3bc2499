using System.Diagnostics;
using LLama.Batched;
using LLama.Native;

namespace OnnxLlm.Benchmarks.Peers;

/// <summary>
/// Concurrent greedy generations on one llama.cpp context, continuous-batching style: each step is one
/// <see cref="BatchedExecutor.Infer"/> over every pending token (new prompts and one token per decoding stream),
/// then every stream whose logits are ready takes its argmax and queues it. Streams may be added between steps.
/// </summary>
internal sealed class PeerStreams(BatchedExecutor executor, Stopwatch clock) : IDisposable
{
    private readonly List<Stream> _active = [];

    /// <summary>One generation; times are milliseconds on the shared clock.</summary>
    public sealed class Stream
    {
        internal required Conversation Conversation { get; init; }
        public required int Target { get; init; }
        public required double Start { get; init; }
        public int Tokens { get; internal set; }
        public double First { get; internal set; }
        public double End { get; internal set; }
        public bool Done => Tokens >= Target;
    }

    public bool Active => _active.Count > 0;

    /// <summary>Queues a prompt (at most one batch long) that will generate <paramref name="tokens"/> tokens.</summary>
    public Stream Add(int[] prompt, int tokens)
    {
        if (prompt.Length > LlamaCpp.BatchSize) throw new ArgumentException($"Stream prompts are at most {LlamaCpp.BatchSize} tokens (one batch); got {prompt.Length}.", nameof(prompt));
        var conversation = executor.Create();
        conversation.Prompt(prompt.Select(t => (LLamaToken)t).ToArray());
        var stream = new Stream { Conversation = conversation, Target = tokens, Start = clock.Elapsed.TotalMilliseconds };
        _active.Add(stream);
        return stream;
    }

    /// <summary>One batched decode, then sampling and re-prompting of every stream it completed a step for.</summary>
    public async Task StepAsync()
    {
        await LlamaCpp.InferAsync(executor);
        for (int i = _active.Count - 1; i >= 0; i--)
        {
            var stream = _active[i];
            if (!stream.Conversation.RequiresSampling) continue;
            int token = LlamaCpp.ArgMax(stream.Conversation.Sample());
            double now = clock.Elapsed.TotalMilliseconds;
            if (stream.Tokens++ == 0) stream.First = now;
            stream.End = now;
            if (stream.Done)
            {
                stream.Conversation.Dispose(); // frees its KV cells for the streams still running
                _active.RemoveAt(i);
            }
            else stream.Conversation.Prompt((LLamaToken)token);
        }
    }

    public async Task RunToCompletionAsync()
    {
        while (Active) await StepAsync();
    }

    public void Dispose()
    {
        foreach (var stream in _active) stream.Conversation.Dispose();
        _active.Clear();
    }
}
