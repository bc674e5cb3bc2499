namespace OnnxLlm.Export.Exporting;

/// <summary>Progress of an export: a stage, and how far along it is.</summary>
/// <param name="Stage">What is happening ("layers", "writing model", ...).</param>
/// <param name="Completed">Units done within the stage.</param>
/// <param name="Total">Units in the stage.</param>
public readonly record struct ExportProgress(string Stage, int Completed, int Total);
