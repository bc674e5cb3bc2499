namespace OnnxLlm.Generation.Stopping;

/// <summary>Outcome of feeding one decoded text piece to a <see cref="StopSequenceMatcher"/>.</summary>
/// <param name="Emit">
/// Text that is now safe to show the user (possibly empty). Never contains a stop sequence or anything after one.
/// </param>
/// <param name="Stopped">True when a stop sequence completed: stop generating and discard everything after it.</param>
/// <param name="MatchedStop">The stop sequence that completed, or <see langword="null"/> when <paramref name="Stopped"/> is false.</param>
internal readonly record struct StopMatchResult(string Emit, bool Stopped, string? MatchedStop);
