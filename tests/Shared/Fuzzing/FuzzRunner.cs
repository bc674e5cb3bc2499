using CsCheck;

namespace OnnxLlm.Testing.Fuzzing;

/// <summary>
/// Runs a reader over generated hostile inputs and checks the property every reader must keep: it returns, or it throws
/// one of its documented exception types with a message that names the file (or template) at fault — never another
/// exception type, never a hang (each input runs on its own thread under <see cref="PerInputTimeout"/>), and never an
/// allocation out of proportion to the input (a lying length must be refused before anything is allocated for it).
/// </summary>
/// <remarks>
/// CI runs a short deterministic slice (<see cref="DefaultIterations"/> inputs from <see cref="DefaultSeed"/>). Set
/// <c>ONNXLLM_FUZZ_ITERATIONS=10000</c> for a long run, which samples with CsCheck from a random seed (or
/// <c>ONNXLLM_FUZZ_SEED</c>) and shrinks a failing input to a small one before reporting it.
/// </remarks>
internal static class FuzzRunner
{
    /// <summary>Environment variable: inputs per reader (opt-in long run).</summary>
    public const string IterationsVariable = "ONNXLLM_FUZZ_ITERATIONS";

    /// <summary>Environment variable: CsCheck seed of the long run (to replay one).</summary>
    public const string SeedVariable = "ONNXLLM_FUZZ_SEED";

    /// <summary>Inputs per reader in the default (CI) run.</summary>
    public const int DefaultIterations = 300;

    /// <summary>The CI slice's fixed CsCheck seed.</summary>
    public const string DefaultSeed = "0nnxLLmFuzz0";

    /// <summary>Longest a single input may take; generous for slow, shared CI machines (inputs take milliseconds).</summary>
    public static readonly TimeSpan PerInputTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Stack of the thread each input runs on: 1 MiB, less than any .NET default, so unbounded recursion shows here first.</summary>
    private const int StackBytes = 1 << 20;

    /// <summary>Whether this is the opt-in long run.</summary>
    public static bool IsLongRun => Environment.GetEnvironmentVariable(IterationsVariable) is { Length: > 0 };

    /// <summary>Inputs per reader for this run.</summary>
    public static int Iterations =>
        int.TryParse(Environment.GetEnvironmentVariable(IterationsVariable), out int n) && n > 0 ? n : DefaultIterations;

    /// <summary>Checks <paramref name="read"/> over <see cref="Iterations"/> inputs from <paramref name="gen"/>.</summary>
    /// <param name="gen">Hostile inputs.</param>
    /// <param name="read">Runs the reader on one input (writing it to a file first when the reader takes a path).</param>
    /// <param name="isDocumented">Whether an exception is one the reader documents.</param>
    /// <param name="mustName">Text a documented exception's message must contain (the file path), or null.</param>
    /// <param name="allocationBudget">Managed bytes one input may allocate (e.g. a multiple of its size).</param>
    /// <param name="print">Describes a failing input.</param>
    /// <returns>Inputs checked.</returns>
    public static int Check<T>(Gen<T> gen, Action<T> read, Func<Exception, bool> isDocumented, string? mustName,
        Func<T, long> allocationBudget, Func<T, string> print)
    {
        void Property(T input) => CheckOne(input, read, isDocumented, mustName, allocationBudget(input));
        int iterations = Iterations;
        if (IsLongRun)
        {
            // CsCheck prints its summary (inputs tried, seed) through writeLine, so a long run's log shows what it covered.
            gen.Sample(Property, writeLine: Console.WriteLine, seed: Environment.GetEnvironmentVariable(SeedVariable),
                iter: iterations, threads: 1, print: print);
            return iterations;
        }
        // The CI slice: the same inputs on every run. On a failure CsCheck replays that input's seed and shrinks it.
        var pcg = PCG.Parse(DefaultSeed);
        for (int i = 0; i < iterations; i++)
        {
            string seed = pcg.ToString();
            var input = gen.Generate(pcg, null, out _);
            try { Property(input); }
            catch (Exception ex)
            {
                string shrunk = "";
                try { gen.Sample(Property, seed: seed, iter: 1, threads: 1, print: print); }
                catch (Exception replay) { shrunk = Environment.NewLine + "CsCheck: " + Truncate(replay.Message); }
                throw new FuzzFailure($"input {i} (CsCheck seed {seed}) failed: {ex.Message}{Environment.NewLine}{Truncate(print(input))}{shrunk}", ex);
            }
        }
        Console.WriteLine($"Checked {iterations} inputs from seed {DefaultSeed}.");
        return iterations;
    }

    private static void CheckOne<T>(T input, Action<T> read, Func<Exception, bool> isDocumented, string? mustName, long budget)
    {
        Exception? thrown = null;
        long allocated = 0;
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { read(input); }
            catch (Exception ex) { thrown = ex; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, StackBytes) { IsBackground = true, Name = "fuzz input" };
        thread.Start();
        if (!thread.Join(PerInputTimeout))
            throw new FuzzFailure($"the reader did not finish within {PerInputTimeout.TotalSeconds:0} s (a hang or unbounded work).");
        if (thrown is not null)
        {
            if (!isDocumented(thrown))
                throw new FuzzFailure($"undocumented {thrown.GetType().Name}: {thrown.Message}", thrown);
            if (mustName is not null && !thrown.Message.Contains(mustName, StringComparison.Ordinal))
                throw new FuzzFailure($"the {thrown.GetType().Name} does not name '{mustName}': {thrown.Message}", thrown);
        }
        if (allocated > budget)
            throw new FuzzFailure($"allocated {allocated:N0} bytes for one input (budget {budget:N0}).");
    }

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000] + $"… ({text.Length} chars)";
}

/// <summary>A fuzzed reader broke its contract on an input.</summary>
internal sealed class FuzzFailure(string message, Exception? inner = null) : Exception(message, inner);
