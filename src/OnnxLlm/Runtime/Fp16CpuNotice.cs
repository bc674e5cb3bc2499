using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime.Tensors;
using OnnxLlm.Inference;

namespace OnnxLlm.Runtime;

/// <summary>
/// The one-time notice that an fp16 model on an x86 CPU is neither small nor fast there: ONNX Runtime's x86 CPU
/// kernels have no fp16 math, so loading widens every fp16 weight to fp32 (about twice the folder's weight bytes
/// resident) and runs at fp32 speed. int8 / int4 folders (MatMulNBits) are the fast, small choice on CPU. Shared by
/// the SDK's load log and the CLI, so both say the same thing with the same numbers.
/// </summary>
internal static class Fp16CpuNotice
{
    /// <summary>Whether an fp16 model runs into the widening: an x86 / x64 process on ONNX Runtime's CPU provider.</summary>
    /// <param name="architecture">The process architecture (arm64 has fp16 kernels and is not affected).</param>
    /// <param name="runsOnCpuProvider">Whether the session runs on the CPU execution provider.</param>
    public static bool Applies(Architecture architecture, bool runsOnCpuProvider) =>
        runsOnCpuProvider && architecture is Architecture.X64 or Architecture.X86;

    /// <summary>The notice for a loaded <paramref name="model"/>, or null when it is not fp16 or the platform is not affected.</summary>
    /// <param name="model">The loaded decoder (fp16 when its KV cache is float16, as the fp16 export makes it).</param>
    /// <param name="architecture">The process architecture.</param>
    /// <param name="runsOnCpuProvider">Whether the session runs on the CPU execution provider.</param>
    public static string? ForLoadedModel(DecoderModel model, Architecture architecture, bool runsOnCpuProvider)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.KvElementType != TensorElementType.Float16 || !Applies(architecture, runsOnCpuProvider)) return null;
        return Text(WeightBytes(model.Directory));
    }

    /// <summary>The notice for a folder just exported at fp16, or null when this machine is not x86.</summary>
    /// <param name="folder">The exported folder.</param>
    /// <param name="architecture">The process architecture.</param>
    public static string? ForExport(string folder, Architecture architecture) =>
        Applies(architecture, runsOnCpuProvider: true) ? Text(WeightBytes(folder)) : null;

    /// <summary>The notice's text for a folder of <paramref name="weightBytes"/> fp16 graph and weight bytes.</summary>
    public static string Text(long weightBytes) => string.Format(CultureInfo.InvariantCulture,
        "fp16 on an x86 CPU: ONNX Runtime's CPU kernels widen fp16 weights to fp32 when the model loads, so this folder's " +
        "{0:N0} MB of fp16 weights take about {1:N0} MB of memory and run at fp32 speed. For CPU, int8 or int4 " +
        "(`onnxllm export --precision int4`) is the fast, small choice; fp16 pays off on Core ML (Macs).",
        weightBytes / 1e6, 2 * weightBytes / 1e6);

    /// <summary>Bytes of the folder's ONNX graphs and their external weight data.</summary>
    public static long WeightBytes(string folder)
    {
        var directory = new DirectoryInfo(folder);
        if (!directory.Exists) return 0;
        return directory.EnumerateFiles().Where(f => f.Name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)
            || f.Name.EndsWith(".onnx.data", StringComparison.OrdinalIgnoreCase)).Sum(f => f.Length);
    }
}
