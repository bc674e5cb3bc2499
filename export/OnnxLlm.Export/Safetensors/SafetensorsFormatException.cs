namespace OnnxLlm.Export.Safetensors;

/// <summary>
/// A safetensors file or shard index is malformed or inconsistent. The message always names the file and, when the
/// problem belongs to one tensor, the tensor, so that a user with a multi-gigabyte multi-shard checkpoint knows
/// exactly what is broken.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed; code that handles
/// "this file cannot be read" by catching <see cref="IOException"/> therefore handles corrupt checkpoints too.
/// </remarks>
public sealed class SafetensorsFormatException : IOException
{
    /// <summary>Creates the exception; the message is prefixed with the file (and tensor) it concerns.</summary>
    /// <param name="filePath">The file that is malformed.</param>
    /// <param name="tensorName">The tensor concerned, or <see langword="null"/> for a file-level problem.</param>
    /// <param name="detail">What is wrong.</param>
    /// <param name="innerException">The underlying parse error, if any.</param>
    public SafetensorsFormatException(string filePath, string? tensorName, string detail, Exception? innerException = null)
        : base(FormatMessage(filePath, tensorName, detail), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The file that is malformed.</summary>
    public string FilePath { get; }

    /// <summary>The tensor the problem belongs to, or <see langword="null"/> for a file-level problem.</summary>
    public string? TensorName { get; }

    private static string FormatMessage(string filePath, string? tensorName, string detail) =>
        tensorName is null
            ? $"{filePath}: {detail}"
            : $"{filePath}: tensor '{tensorName}': {detail}";
}
