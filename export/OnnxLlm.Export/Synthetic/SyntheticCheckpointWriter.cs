using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using OnnxLlm.Export.Checkpoints;
using OnnxLlm.Export.Safetensors;

namespace OnnxLlm.Export.Synthetic;

/// <summary>
/// Writes a synthetic Qwen2 or Qwen3 checkpoint folder (config, generation config, BF16 safetensors, optionally sharded)
/// fully determined by a <c>config.json</c> and a seed, as specified by <c>shared/docs/synthetic-checkpoints.md</c>.
/// The output is bit-identical to every other implementation of that spec.
/// </summary>
public static class SyntheticCheckpointWriter
{
    /// <summary>The generation config written when the caller supplies none (the spec's default).</summary>
    public const string DefaultGenerationConfig = "{\"bos_token_id\": 151643, \"eos_token_id\": [151645, 151643]}\n";

    // Elements generated per chunk: big enough to amortize Parallel.For and the write, small enough that two
    // buffers (one generating, one being written) stay at a few MB.
    private const int ChunkElements = 1 << 21;
    private const int BlockElements = 1 << 15;

    private static readonly Dictionary<string, string> HeaderMetadata = new() { ["format"] = "pt" };

    /// <summary>Writes the checkpoint folder for (<paramref name="configPath"/>, <paramref name="seed"/>).</summary>
    /// <param name="configPath">The Qwen2 / Qwen3 <c>config.json</c>; validated, then copied byte for byte.</param>
    /// <param name="seed">Generator seed (XORed into every tensor key).</param>
    /// <param name="outputDirectory">
    /// Folder to create. Everything is written to a temporary folder beside it and moved into place at the end, so a
    /// failed or cancelled write leaves nothing at this path.
    /// </param>
    /// <param name="options">Sharding, generation config and overwrite settings.</param>
    /// <param name="progress">Receives a report after each chunk of tensor data.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <exception cref="IOException">The output folder exists and <see cref="SyntheticCheckpointOptions.Overwrite"/> is false.</exception>
    /// <exception cref="InvalidDataException">The config is invalid.</exception>
    public static async Task WriteAsync(
        string configPath,
        ulong seed,
        string outputDirectory,
        SyntheticCheckpointOptions? options = null,
        IProgress<SyntheticProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        ArgumentException.ThrowIfNullOrEmpty(outputDirectory);
        options ??= new SyntheticCheckpointOptions();
        var config = Qwen2Config.Load(configPath);
        if (options.GenerationConfigPath is { } generationPath && !File.Exists(generationPath))
            throw new FileNotFoundException($"Generation config not found: {generationPath}", generationPath);

        string target = Path.GetFullPath(outputDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar));
        if (Directory.Exists(target) && !options.Overwrite)
            throw new IOException($"{target} already exists (set Overwrite to replace it).");
        string parent = Path.GetDirectoryName(target)
            ?? throw new ArgumentException("The output folder cannot be a file-system root.", nameof(outputDirectory));
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.partial");

        try
        {
            Directory.CreateDirectory(temp);
            File.Copy(configPath, Path.Combine(temp, "config.json"));
            if (options.GenerationConfigPath is { } source)
                File.Copy(source, Path.Combine(temp, "generation_config.json"));
            else
                await File.WriteAllTextAsync(Path.Combine(temp, "generation_config.json"), DefaultGenerationConfig, cancellationToken)
                    .ConfigureAwait(false);

            await WriteWeightsAsync(config, seed, temp, options.MaxShardBytes, progress, cancellationToken).ConfigureAwait(false);

            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(target))
            {
                if (!options.Overwrite) throw new IOException($"{target} appeared while writing; not replacing it.");
                Directory.Delete(target, recursive: true);
            }
            Directory.Move(temp, target);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    /// <summary>Bytes a tensor occupies in BF16.</summary>
    internal static long BytesOf(SyntheticTensorSpec spec) => checked(spec.ElementCount * 2);

    private static async Task WriteWeightsAsync(
        Qwen2Config config, ulong seed, string folder, long? maxShardBytes,
        IProgress<SyntheticProgress>? progress, CancellationToken cancellationToken)
    {
        var specs = SyntheticCheckpointLayout.GetTensors(config);
        var shards = SyntheticShardPlanner.Plan(specs, maxShardBytes);
        var tracker = new ProgressTracker(progress, specs.Count, specs.Sum(BytesOf));
        // Two chunk buffers shared by every tensor: one is generated while the other is written.
        var buffers = new[] { new byte[2 * ChunkElements], new byte[2 * ChunkElements] };

        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int s = 0; s < shards.Count; s++)
        {
            string fileName = shards.Count == 1
                ? SafetensorsCheckpoint.SingleFileName
                : $"model-{s + 1:00000}-of-{shards.Count:00000}.safetensors";
            // safetensors writers sort tensors by name within a file; shard membership keeps module order.
            var sources = shards[s]
                .OrderBy(spec => spec.Name, StringComparer.Ordinal)
                .Select(spec =>
                {
                    weightMap[spec.Name] = fileName;
                    return new SafetensorsTensorSource(spec.Name, SafetensorsDType.BF16, spec.Shape,
                        (stream, ct) => WriteTensorAsync(spec, seed, config.NumHiddenLayers, stream, buffers, tracker, ct));
                })
                .ToList();
            await SafetensorsWriter.WriteAsync(Path.Combine(folder, fileName), sources, HeaderMetadata, cancellationToken)
                .ConfigureAwait(false);
        }

        if (shards.Count > 1)
            await File.WriteAllBytesAsync(
                Path.Combine(folder, SafetensorsIndex.FileName),
                CreateIndex(tracker.TotalBytes, weightMap), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask WriteTensorAsync(
        SyntheticTensorSpec spec, ulong seed, int numHiddenLayers, Stream stream, byte[][] buffers,
        ProgressTracker tracker, CancellationToken cancellationToken)
    {
        ulong key = SyntheticWeights.TensorKey(spec.Name, seed);
        var scale = SyntheticWeights.ValueScale.For(spec, numHiddenLayers);
        long count = spec.ElementCount;
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        Task pending = Task.CompletedTask;
        int current = 0;
        try
        {
            for (long start = 0; start < count; start += ChunkElements)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int length = (int)Math.Min(ChunkElements, count - start);
                byte[] buffer = buffers[current];
                long chunkStart = start;
                int blocks = (length + BlockElements - 1) / BlockElements;
                if (blocks == 1)
                {
                    FillBlock(key, scale, chunkStart, buffer, 0, length);
                }
                else
                {
                    Parallel.For(0, blocks, parallel, block =>
                    {
                        int offset = block * BlockElements;
                        FillBlock(key, scale, chunkStart + offset, buffer, offset, Math.Min(BlockElements, length - offset));
                    });
                }
                // The previous chunk's write overlaps this chunk's generation; wait for it before queuing this one.
                await pending.ConfigureAwait(false);
                pending = stream.WriteAsync(buffer.AsMemory(0, 2 * length), cancellationToken).AsTask();
                tracker.Advance(spec.Name, 2L * length);
                current ^= 1;
            }
            await pending.ConfigureAwait(false);
        }
        catch
        {
            // Never leave a write in flight behind us: the caller is about to close the stream.
            try { await pending.ConfigureAwait(false); } catch { /* the first failure is the one to report */ }
            throw;
        }
        tracker.CompleteTensor(spec.Name);
    }

    private static void FillBlock(ulong key, SyntheticWeights.ValueScale scale, long start, byte[] buffer, int offset, int length)
    {
        var values = MemoryMarshal.Cast<byte, ushort>(buffer.AsSpan(2 * offset, 2 * length));
        SyntheticWeights.Fill(key, scale, start, values);
        // safetensors is little-endian; swap on the rare big-endian host.
        if (!BitConverter.IsLittleEndian)
            System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(values, values);
    }

    private static byte[] CreateIndex(long totalBytes, SortedDictionary<string, string> weightMap)
    {
        // transformers writes json.dumps(index, indent=2, sort_keys=True) + "\n".
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalBytes);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (name, file) in weightMap) json.WriteString(name, file);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.ToArray();
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort; the original failure is what the caller needs to see.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Accumulates byte and tensor counts and forwards them to the caller's progress sink.</summary>
    private sealed class ProgressTracker(IProgress<SyntheticProgress>? sink, int tensorCount, long totalBytes)
    {
        private long _bytes;
        private int _tensors;

        public long TotalBytes { get; } = totalBytes;

        public void Advance(string tensor, long bytes)
        {
            _bytes += bytes;
            sink?.Report(new SyntheticProgress(tensor, _tensors, tensorCount, _bytes, TotalBytes));
        }

        public void CompleteTensor(string tensor)
        {
            _tensors++;
            sink?.Report(new SyntheticProgress(tensor, _tensors, tensorCount, _bytes, TotalBytes));
        }
    }
}
