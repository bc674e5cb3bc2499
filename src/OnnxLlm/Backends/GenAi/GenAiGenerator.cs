using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntimeGenAI;
using OnnxLlm.Generation;
using OnnxLlm.Generation.Sampling;
using OnnxLlm.Inference;
using OnnxLlm.ModelFolder.GenAi;
using OnnxLlm.Tokenization;

namespace OnnxLlm.Backends.GenAi;

/// <summary>
/// The ONNX Runtime GenAI backend: GenAI's <see cref="Model"/> runs the decoder and keeps the KV cache; prompts are
/// our tokenizer's ids, and text, stop sequences, constraints and the update contract are ours (as in
/// <see cref="GenerationEngine"/>). Each request gets its own <see cref="Generator"/> (a generator is not thread-safe
/// and holds one sequence's cache) on a dedicated thread, so no pool thread ever blocks on the model; up to
/// <see cref="OnnxLlmOptions.GenAiMaxConcurrentGenerations"/> generators run at once (default 1: a GenAI model is shared
/// by its generators but each decodes on its own, with no batching across them, so on a CPU concurrent generators only
/// compete for the cores), the rest wait in a queue of <see cref="OnnxLlmOptions.MaxQueuedGenerations"/>.
/// </summary>
internal sealed class GenAiGenerator : ITokenGenerator
{
    private readonly Config _config;
    private readonly Model _model;
    private readonly QwenTokenizer _tokenizer;
    private readonly int _vocabSize;
    private readonly int _textVocabularySize;
    private readonly int _maxRunning;
    private readonly int _maxQueued;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly HashSet<Task> _running = [];
    private int _pending; // running + waiting
    private bool _disposed;

    private GenAiGenerator(Config config, Model model, GenAiConfig genAiConfig, QwenTokenizer tokenizer, int maxRunning, int maxQueued)
    {
        _config = config;
        _model = model;
        _tokenizer = tokenizer;
        _vocabSize = genAiConfig.VocabSize;
        _textVocabularySize = Math.Min(tokenizer.VocabularySize, genAiConfig.VocabSize);
        // search.max_length caps every GenAI generator; requests are checked against the same cap up front.
        ContextLength = genAiConfig.MaxSequenceLength;
        _maxRunning = maxRunning;
        _maxQueued = maxQueued;
        _slots = new SemaphoreSlim(maxRunning, maxRunning);
    }

    /// <inheritdoc />
    public int ContextLength { get; }

    /// <summary>The GenAI execution provider the model runs on (<c>cpu</c> unless <see cref="OnnxLlmOptions.GenAiProvider"/> names another).</summary>
    public string Provider { get; private init; } = "cpu";

    /// <summary>Loads <paramref name="directory"/> with GenAI on the provider <paramref name="options"/> name.</summary>
    /// <exception cref="ArgumentException">Provider options are set without a provider.</exception>
    /// <exception cref="InvalidDataException">GenAI could not load the folder (its message is included).</exception>
    /// <exception cref="PlatformNotSupportedException">GenAI's native package has no build for this platform.</exception>
    public static GenAiGenerator Load(string directory, GenAiConfig genAiConfig, QwenTokenizer tokenizer, OnnxLlmOptions options, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.GenAiMaxConcurrentGenerations, 1, "OnnxLlmOptions.GenAiMaxConcurrentGenerations");
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxQueuedGenerations, "OnnxLlmOptions.MaxQueuedGenerations");
        // Without GenAiProvider the folder's own provider_options stand (GenAI reads them itself); with it, the option wins.
        bool fromFolder = string.IsNullOrWhiteSpace(options.GenAiProvider);
        var folderProviders = GenAiConfigSupport.DeviceProviders(genAiConfig);
        string provider = !fromFolder ? options.GenAiProvider!.Trim() : folderProviders.Count > 0 ? folderProviders[0].Name : "cpu";
        bool cpu = string.Equals(provider, "cpu", StringComparison.OrdinalIgnoreCase);
        if ((fromFolder || cpu) && options.GenAiProviderOptions.Count > 0)
            throw new ArgumentException("OnnxLlmOptions.GenAiProviderOptions are set, but GenAiProvider names no provider: GenAI's CPU provider " +
                                        "takes no options (use IntraOpThreads for its threads).", nameof(options));
        Config config;
        try
        {
            config = new Config(directory);
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new PlatformNotSupportedException(
                $"ONNX Runtime GenAI's native library could not be loaded on {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier} " +
                "(Microsoft.ML.OnnxRuntimeGenAI 0.20.0 ships win-x64, win-arm64, linux-x64, linux-arm64, osx-arm64, android and ios); " +
                $"use OnnxLlmOptions.Backend = OnnxLlm. ({ex.Message})", ex);
        }
        catch (OnnxRuntimeGenAIException ex)
        {
            throw new InvalidDataException($"{directory}: ONNX Runtime GenAI could not read the folder's genai_config.json: {ex.Message}", ex);
        }
        try
        {
            // The folder's own provider list (a GenAI-builder folder may name cuda or dml) gives way to the option:
            // CPU needs no entry at all (GenAI refuses CPU provider options), any other provider is appended with its options.
            if (!fromFolder)
            {
                config.ClearProviders();
                if (!cpu)
                {
                    config.AppendProvider(provider);
                    foreach (var (key, value) in options.GenAiProviderOptions) config.SetProviderOption(provider, key, value);
                }
            }
            if (options.IntraOpThreads is int threads and > 0)
                config.Overlay(JsonSerializer.Serialize(new { model = new { decoder = new { session_options = new { intra_op_num_threads = threads } } } }));
            if (options.AllowSpinning is not null)
                logger.LogWarning("OnnxLlmOptions.AllowSpinning applies to the OnnxLlm backend; GenAI 0.20 keeps ONNX Runtime's default spinning.");
            var model = new Model(config);
            logger.LogInformation("ONNX Runtime GenAI loaded {Directory} ({Type}) on {Provider}.", directory, model.GetModelType(), provider);
            return new GenAiGenerator(config, model, genAiConfig, tokenizer,
                options.GenAiMaxConcurrentGenerations, options.MaxQueuedGenerations) { Provider = provider };
        }
        catch (OnnxRuntimeGenAIException ex)
        {
            config.Dispose();
            throw new InvalidDataException($"{directory}: ONNX Runtime GenAI could not load the model on provider '{provider}': {ex.Message}", ex);
        }
        catch
        {
            config.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GenerationUpdate> GenerateAsync(GenerationRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate(_vocabSize, ContextLength);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        long started = Stopwatch.GetTimestamp();
        int pending = Interlocked.Increment(ref _pending);
        if (pending > _maxRunning + _maxQueued)
        {
            Interlocked.Decrement(ref _pending);
            throw new GenerationQueueFullException(_maxRunning, _maxQueued, TimeSpan.FromSeconds(1));
        }
        var updates = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        Task finished;
        try
        {
            try
            {
                await _slots.WaitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(GenAiGenerator), "The model was disposed while the request waited.");
            }
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            finished = done.Task;
            lock (_running)
            {
                // Registered under the lock Dispose takes, so Dispose either waits for this generation or it never starts.
                if (_disposed)
                {
                    _slots.Release();
                    throw new ObjectDisposedException(nameof(GenAiGenerator));
                }
                _running.Add(finished);
            }
            var queueTime = Stopwatch.GetElapsedTime(started);
            // A dedicated thread: GenerateNextToken blocks for a whole model run, which must not hold a pool thread.
            var thread = new Thread(() =>
            {
                try
                {
                    Run(request, new TokenStreamWriter(updates.Writer, request, _tokenizer, started) { QueueTime = queueTime }, stop.Token);
                }
                catch (Exception ex)
                {
                    updates.Writer.TryComplete(ex is not OperationCanceledException ? ex
                        : _shutdown.IsCancellationRequested && !cancellationToken.IsCancellationRequested
                            ? new ObjectDisposedException(nameof(GenAiGenerator), "The model was disposed while generating.")
                            : new OperationCanceledException(ex.Message, ex, cancellationToken));
                }
                finally
                {
                    _slots.Release();
                    Interlocked.Decrement(ref _pending);
                    lock (_running) _running.Remove(done.Task);
                    done.SetResult();
                }
            })
            { IsBackground = true, Name = "OnnxLlm GenAI generator" };
            thread.Start();
        }
        catch
        {
            Interlocked.Decrement(ref _pending);
            throw;
        }
        try
        {
            await foreach (var update in updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return update;
            }
        }
        finally
        {
            // Also reached when the caller stops reading early: the thread stops before its next token.
            stop.Cancel();
            await finished.ConfigureAwait(false);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Runs one generation to its end on the calling (dedicated) thread.</summary>
    private void Run(GenerationRequest request, TokenStreamWriter writer, CancellationToken cancellationToken)
    {
        bool native = GenAiSearch.RunsNatively(request);
        using var parameters = new GeneratorParams(_model);
        GenAiSearch.Apply(parameters, request, _vocabSize, native);
        using var generator = new Generator(_model, parameters);
        int[] prompt = request.PromptTokens as int[] ?? request.PromptTokens.ToArray();
        generator.AppendTokens(prompt); // prefill
        // Host-side choice (constraints, options GenAI lacks): our sampler picks from GenAI's logits, GenAI gets a one-hot row.
        var sampler = native ? null : new TokenSampler(request.Sampling, _vocabSize, prompt);
        float[]? logits = native ? null : GC.AllocateArray<float>(_vocabSize, pinned: true);
        GenerationFinishReason? finish = null;
        while (finish is null)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (generator.IsDone())
            {
                // GenAI stops by itself on the EOS ids of genai_config.json (a request without stop ids runs past them
                // on our loop) or at max_length, which our own count reaches first.
                finish = GenerationFinishReason.Stop;
                break;
            }
            int token;
            if (sampler is null)
            {
                generator.GenerateNextToken();
                token = generator.GetNextTokens()[0];
            }
            else
            {
                token = ChooseOnHost(generator, request, sampler, logits!);
            }
            finish = writer.OnToken(token);
        }
        writer.Complete(finish.Value);
    }

    private int ChooseOnHost(Generator generator, GenerationRequest request, TokenSampler sampler, float[] logits)
    {
        GenAiLogits.Read(generator, logits);
        var row = logits.AsSpan();
        // Qwen pads its embedding table beyond the tokenizer's vocabulary; those rows are not tokens.
        if (_textVocabularySize < row.Length) row[_textVocabularySize..].Fill(float.NegativeInfinity);
        request.Constraint?.Apply(row);
        int token = sampler.Sample(row);
        sampler.Accept(token);
        request.Constraint?.Accept(token);
        row.Fill(float.NegativeInfinity);
        row[token] = 0f;
        nint tensor = GenAiLogits.Write(generator, logits);
        try
        {
            generator.GenerateNextToken();
        }
        finally
        {
            GenAiLogits.Release(tensor);
        }
        int chosen = generator.GetNextTokens()[0];
        if (chosen != token)
            throw new InvalidOperationException($"ONNX Runtime GenAI picked token {chosen} from a one-hot row for token {token}; its search did not honour SetLogits.");
        return token;
    }

    /// <summary>Stops running generations (they end with <see cref="ObjectDisposedException"/>), waits for their threads and frees the model.</summary>
    public void Dispose()
    {
        Task[] running;
        lock (_running)
        {
            if (_disposed) return;
            _disposed = true;
            running = [.. _running];
        }
        _shutdown.Cancel();
        Task.WaitAll(running); // each ends within one token
        _model.Dispose();
        _config.Dispose();
        // _shutdown and _slots stay undisposed: late waiters may still touch them, and neither holds a native resource here.
    }
}
