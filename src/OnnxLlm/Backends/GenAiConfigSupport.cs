using OnnxLlm.ModelFolder.GenAi;

namespace OnnxLlm.Backends;

/// <summary>
/// What each backend can run of a <c>genai_config.json</c> (OnnxLlm's own export or GenAI's model builder): the checks
/// here turn a field a backend would silently ignore or misread into an <see cref="InvalidDataException"/> naming the
/// file and the field. The format assembly reads the file as it stands; the SDK decides here what it runs.
/// </summary>
internal static class GenAiConfigSupport
{
    /// <summary>The <c>model.type</c> values OnnxLlm runs: its tokenizer, chat template and tool-call parser are Qwen's.</summary>
    public static readonly IReadOnlyList<string> ModelTypes = ["qwen2", "qwen3"];

    /// <summary>
    /// Rejects what neither backend runs: other model types, multimodal / encoder / speculative sections, embedding
    /// inputs, and search options our request model has no place for (every request streams one sequence, and its
    /// sampling is ours on both backends, so GenAI's search would never see them either).
    /// </summary>
    /// <exception cref="InvalidDataException">A field names something OnnxLlm does not run (named in the message, with the file).</exception>
    public static void CheckForEitherBackend(GenAiConfig config, string configPath)
    {
        if (!ModelTypes.Contains(config.ModelType, StringComparer.Ordinal))
            throw Reject(configPath, "model.type", $"is '{config.ModelType}'; OnnxLlm runs {string.Join(" and ", ModelTypes)} decoders " +
                                                   "(its tokenizer, chat template and tool-call parser are Qwen's).");
        foreach (string section in config.OtherSections.Where(s => s != Pipeline))
            throw Reject(configPath, section, "describes a model beyond one text decoder (multimodal, encoder, speculative or paged engine); " +
                                              "OnnxLlm runs a single text decoder.");
        if (config.OtherDecoderInputs.ContainsKey("inputs_embeds"))
            throw Reject(configPath, "model.decoder.inputs.inputs_embeds", "makes the decoder take embeddings; OnnxLlm feeds token ids (input_ids).");
        var search = config.Search;
        if (search.NumBeams > 1)
            throw Reject(configPath, "search.num_beams", $"is {search.NumBeams}; OnnxLlm streams one sequence per request and does no beam search (set it to 1).");
        if (search.NumReturnSequences > 1)
            throw Reject(configPath, "search.num_return_sequences", $"is {search.NumReturnSequences}; OnnxLlm returns one sequence per request (set it to 1).");
        if (search.NoRepeatNgramSize > 0)
            throw Reject(configPath, "search.no_repeat_ngram_size", $"is {search.NoRepeatNgramSize}; OnnxLlm's sampler has no n-gram ban (set it to 0).");
        // GenAI counts min_length over prompt + output, which no chat request can reason about; our sampler has no minimum.
        if (search.MinLength > 0)
            throw Reject(configPath, "search.min_length", $"is {search.MinLength}; OnnxLlm does not hold back end tokens for a minimum length (set it to 0).");
    }

    /// <summary>
    /// Rejects what OnnxLlm's own loop cannot run (GenAI can, so <see cref="InferenceBackend.Auto"/> falls back to it):
    /// a split pipeline, decoder inputs or outputs it does not bind, a KV layout other than GroupQueryAttention's shared
    /// buffer, and a sliding window narrower than the sequences it would run.
    /// </summary>
    /// <param name="config">The file's contents.</param>
    /// <param name="configPath">The file, for the message.</param>
    /// <param name="staticKv">True for OnnxLlm's static-kv-v1 (coreml) folders, whose KV layout onnxllm_contract.json states instead.</param>
    /// <exception cref="InvalidDataException">A field names something the loop does not run (named in the message, with the file).</exception>
    public static void CheckForOurLoop(GenAiConfig config, string configPath, bool staticKv)
    {
        if (config.OtherSections.Contains(Pipeline))
            throw Reject(configPath, Pipeline, "splits the decoder into several graphs, which only ONNX Runtime GenAI runs.");
        // position_ids is modelled (GenAI's builder adds it when rotary runs outside attention); whether the graph
        // really takes it is checked against the graph, which names the input our loop does not feed.
        foreach (var key in config.OtherDecoderInputs.Keys)
            throw Reject(configPath, $"model.decoder.inputs.{key}", "is an input OnnxLlm's loop does not feed; ONNX Runtime GenAI runs this folder.");
        foreach (var key in config.OtherDecoderOutputs.Keys)
            throw Reject(configPath, $"model.decoder.outputs.{key}", "is an output OnnxLlm's loop does not read; ONNX Runtime GenAI runs this folder.");
        // GenAI's builder writes false exactly when the attention is not GroupQueryAttention: such a graph's present KV
        // is past + new concatenated, which our loop's one shared buffer per layer does not hold. (Absent: GQA assumed,
        // as every folder OnnxLlm exported before the field existed is.)
        if (!staticKv && config.Search.PastPresentShareBuffer == false)
            throw Reject(configPath, "search.past_present_share_buffer", "is false: the graph's KV cache is not GroupQueryAttention's shared " +
                                                                          "buffer, the only layout OnnxLlm's loop binds; ONNX Runtime GenAI runs this folder.");
        if (config.SlidingWindow is { WindowSize: > 0 } window)
        {
            // Our loop attends over the whole cache. A window at least as long as every sequence the folder allows changes
            // nothing (Qwen2.5's builder folders carry one as long as the context); a shorter one, or GenAI's sliding
            // inputs / cache (fixed-size NPU windows), would be ignored, so refuse instead of decoding differently.
            if (window.SlideInputs)
                throw Reject(configPath, "model.decoder.sliding_window.slide_inputs", "is true (GenAI's default when absent): the graph takes " +
                                                                                       "fixed-size input windows, which OnnxLlm's loop does not feed; ONNX Runtime GenAI runs this folder.");
            if (window.SlideKeyValueCache)
                throw Reject(configPath, "model.decoder.sliding_window.slide_key_value_cache", "is true (GenAI's default when absent): the graph " +
                                                                                                 "keeps a sliding KV cache, which OnnxLlm's loop does not; ONNX Runtime GenAI runs this folder.");
            if (window.WindowSize < config.MaxSequenceLength)
                throw Reject(configPath, "model.decoder.sliding_window.window_size", $"is {window.WindowSize}, shorter than the {config.MaxSequenceLength} " +
                                                                                       "tokens a sequence may reach, and OnnxLlm's loop does not window attention; " +
                                                                                       $"set search.max_length to at most {window.WindowSize}, or use the GenAI backend.");
        }
    }

    /// <summary>The non-CPU execution providers the file names (GenAI's builder writes one for a cuda, dml, webgpu... build).</summary>
    public static IReadOnlyList<GenAiProviderOptions> DeviceProviders(GenAiConfig config) => config.ProviderOptions.Where(p => !p.IsCpu).ToArray();

    private const string Pipeline = "model.decoder.pipeline";

    private static InvalidDataException Reject(string configPath, string field, string reason) => new($"{configPath}: '{field}' {reason}");
}
