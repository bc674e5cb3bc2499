using OnnxLlm.Backends;
using OnnxLlm.Runtime;

namespace OnnxLlm;

/// <summary>
/// Settings of an OnnxLlm chat client: which model folder, where it runs, and generation defaults.
/// Bindable from configuration (e.g. an "OnnxLlm" section of appsettings.json).
/// </summary>
public sealed class OnnxLlmOptions
{
    /// <summary>The default maximum number of tokens generated per response when the caller sets none.</summary>
    public const int DefaultMaxOutputTokensValue = 1024;

    /// <summary>
    /// The model: a model folder (genai_config.json, model.onnx, tokenizer files), or any other name that
    /// <see cref="ModelResolver"/> turns into one (with the OnnxLlm.Hub package: a Hugging Face model id such as
    /// <c>Qwen/Qwen2.5-0.5B-Instruct</c>, pulled, exported and cached on first use). Required.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// Resolves a <see cref="ModelPath"/> that is not a folder (null: folders only). <c>OnnxLlm.Hub</c>'s
    /// <c>HuggingFaceModelResolver</c> pulls and exports Hugging Face model ids; with dependency injection, an
    /// <see cref="IModelResolver"/> registered in the container (<c>services.AddHuggingFaceModels()</c>) is used when this is null.
    /// </summary>
    public IModelResolver? ModelResolver { get; set; }

    /// <summary>The model id reported in responses and metadata; defaults to the Hub id or the folder's name.</summary>
    public string? ModelId { get; set; }

    /// <summary>Where the model runs; CPU by default.</summary>
    public ExecutionProvider ExecutionProvider { get; set; } = ExecutionProvider.Cpu;

    /// <summary>When the requested execution provider is unavailable on this OS, log a warning and use the CPU instead of failing.</summary>
    public bool AllowExecutionProviderFallback { get; set; }

    /// <summary>CoreML settings (macOS).</summary>
    public CoreMLOptions CoreML { get; set; } = new();

    /// <summary>
    /// ONNX Runtime intra-op threads; null (or 0) lets ONNX Runtime choose: one per physical core, which is what
    /// decode wants (it is memory-bound; hyper-threads add contention, not bandwidth). Set it lower to leave cores
    /// to the rest of the application.
    /// </summary>
    public int? IntraOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op worker threads spin while waiting for work
    /// (<c>session.intra_op.allow_spinning</c>). Null keeps ONNX Runtime's default (spin), which is fastest for
    /// decode: a token runs hundreds of small kernels back to back and sleeping threads would wake late for each.
    /// Set false to give the cores back between tokens (battery, or a busy host) at some cost in tokens/s.
    /// </summary>
    public bool? AllowSpinning { get; set; }

    /// <summary>
    /// Tokens generated per response when <c>ChatOptions.MaxOutputTokens</c> is not set (default 1024, never the
    /// context length, so a model that never emits an end token cannot spin for minutes). Hitting it ends the
    /// response with <c>ChatFinishReason.Length</c>. Thinking tokens (Qwen3's <c>&lt;think&gt;</c> block) count
    /// towards this cap and towards <c>MaxOutputTokens</c>: a long reasoning can use the whole budget.
    /// </summary>
    public int DefaultMaxOutputTokens { get; set; } = DefaultMaxOutputTokensValue;

    /// <summary>
    /// Generations run at once, decoded together in one batched run per token (default 4). Decoding reads every weight
    /// once per step whatever the batch, so on a CPU four streams cost little more than one. Each running generation
    /// holds a KV cache slot of up to the context length (address space; memory only for the tokens it reaches).
    /// </summary>
    public int MaxConcurrentGenerations { get; set; } = Generation.GenerationEngineOptions.DefaultMaxParallelSequences;

    /// <summary>
    /// Requests that may wait for a running generation to end (default 64); one more is refused at once with
    /// <see cref="Generation.GenerationQueueFullException"/> (a server answers 429). Cancelling a waiting request removes it.
    /// </summary>
    public int MaxQueuedGenerations { get; set; } = Generation.GenerationEngineOptions.DefaultMaxQueuedRequests;

    /// <summary>
    /// Bytes of KV cache kept from finished generations so that a prompt starting with the same tokens (the next turn
    /// of a chat, a system prompt shared by many users) prefills only what is new (default 1 GiB, least recently used
    /// evicted first; 0 turns prefix reuse off).
    /// </summary>
    public long PrefixCacheBytes { get; set; } = Generation.GenerationEngineOptions.DefaultPrefixCacheBytes;

    /// <summary>
    /// Whether thinking models (Qwen3) think before answering when a request's <c>ChatOptions.Reasoning</c> sets no
    /// effort (default true, as Qwen3's own template). False renders Qwen3's empty think block (<c>enable_thinking=false</c>)
    /// so the model answers directly. Per request, <c>ChatOptions.Reasoning.Effort = ReasoningEffort.None</c> turns
    /// thinking off and any other effort turns it on. Models without <c>&lt;think&gt;</c> tokens ignore it.
    /// </summary>
    public bool EnableThinking { get; set; } = true;

    /// <summary>
    /// Prompt tokens processed per prefill run (default 128). A longer prompt is prefilled a chunk at a time, each chunk
    /// between two decode steps of the generations already streaming, so they pause for at most one chunk.
    /// </summary>
    public int PrefillChunkSize { get; set; } = 128;

    /// <summary>The process architecture the load-time checks assume (null: the real one); lets tests play x64 or arm64.</summary>
    internal System.Runtime.InteropServices.Architecture? ProcessArchitecture { get; set; }

    /// <summary>
    /// Which runtime generates tokens: <see cref="InferenceBackend.Auto"/> (default) picks OnnxLlm's own loop for
    /// folders it runs and ONNX Runtime GenAI otherwise; <see cref="InferenceBackend.OnnxLlm"/> or
    /// <see cref="InferenceBackend.GenAI"/> force one. Either way the chat client, template, tool calls and stop rules are the same.
    /// </summary>
    public InferenceBackend Backend { get; set; } = InferenceBackend.Auto;

    /// <summary>
    /// The ONNX Runtime GenAI execution provider (GenAI's names: <c>cuda</c>, <c>dml</c>, <c>coreml</c>, <c>NvTensorRtRtx</c>,
    /// <c>OpenVINO</c>, <c>QNN</c>, <c>WebGPU</c>...); null or <c>cpu</c> runs on the CPU. A non-CPU provider needs GenAI's
    /// matching native package (e.g. Microsoft.ML.OnnxRuntimeGenAI.Cuda) and makes <see cref="InferenceBackend.Auto"/> choose GenAI.
    /// </summary>
    public string? GenAiProvider { get; set; }

    /// <summary>
    /// GenAI generators run at once on the GenAI backend (default 1: requests are served one after another, the rest wait
    /// in the <see cref="MaxQueuedGenerations"/> queue). GenAI does not batch separate generators, so on a CPU they only
    /// compete for the same cores: on a 2-core machine four concurrent generators gave no more total throughput than
    /// one at a time (between equal and 30% less, over runs). Raise it for a GPU provider, or to interleave streams at some cost in throughput.
    /// </summary>
    public int GenAiMaxConcurrentGenerations { get; set; } = 1;

    /// <summary>Options of <see cref="GenAiProvider"/>, passed as they stand (e.g. <c>device_id</c> = <c>0</c> for cuda).</summary>
    public Dictionary<string, string> GenAiProviderOptions { get; set; } = new(StringComparer.Ordinal);
}
