namespace OnnxLlm.Export.Synthetic;

/// <summary>Progress of a synthetic checkpoint write, reported as chunks of tensor data reach the disk.</summary>
/// <param name="TensorName">The tensor being written.</param>
/// <param name="TensorsCompleted">Tensors fully written so far.</param>
/// <param name="TensorCount">Tensors in the checkpoint.</param>
/// <param name="BytesWritten">Tensor bytes generated and handed to the file so far.</param>
/// <param name="TotalBytes">Tensor bytes in the checkpoint.</param>
public readonly record struct SyntheticProgress(
    string TensorName, int TensorsCompleted, int TensorCount, long BytesWritten, long TotalBytes)
{
    /// <summary>Fraction done, 0 to 1.</summary>
    public double Fraction => TotalBytes == 0 ? 1 : (double)BytesWritten / TotalBytes;
}
