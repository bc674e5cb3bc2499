namespace OnnxLlm.Hub;

/// <summary>The result of a pull.</summary>
/// <param name="Id">The model id pulled.</param>
/// <param name="CommitSha">The commit it resolved to.</param>
/// <param name="ModelDirectory">The exported model folder, ready for <see cref="OnnxLlmOptions.ModelPath"/>.</param>
/// <param name="FromCache">True when nothing was downloaded or exported.</param>
public sealed record PulledModel(HubModelId Id, string CommitSha, string ModelDirectory, bool FromCache);
