namespace OnnxLlm.Generation.Stopping;

/// <summary>What a <see cref="StopSequenceMatcher"/> lets through after a piece of text.</summary>
/// <param name="Emit">Text that is safe to show now (never part of a stop sequence).</param>
/// <param name="Stopped">True when a stop sequence completed; nothing after it is ever emitted.</param>
/// <param name="MatchedStop">The stop sequence that matched, when <paramref name="Stopped"/>.</param>
public readonly record struct StopMatchResult(string Emit, bool Stopped, string? MatchedStop);
