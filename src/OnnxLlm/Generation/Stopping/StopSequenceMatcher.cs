using System.Text;

namespace OnnxLlm.Generation.Stopping;

/// <summary>
/// Finds stop sequences in streamed text whatever the token boundaries: text that could still be the start
/// of a stop sequence is held back until it either completes one (generation stops, the stop and everything
/// after it are dropped) or proves harmless (it is released). The earliest match in the text wins (the shorter one when two start together).
/// </summary>
public sealed class StopSequenceMatcher
{
    private readonly string[] _stops;
    private readonly StringBuilder _pending = new();

    /// <summary>Creates a matcher for one generation.</summary>
    /// <exception cref="ArgumentException">No stop sequences, or an empty one.</exception>
    public StopSequenceMatcher(IEnumerable<string> stopSequences)
    {
        ArgumentNullException.ThrowIfNull(stopSequences);
        _stops = stopSequences.Distinct(StringComparer.Ordinal).ToArray();
        if (_stops.Length == 0) throw new ArgumentException("At least one stop sequence is required.", nameof(stopSequences));
        if (_stops.Any(string.IsNullOrEmpty)) throw new ArgumentException("Stop sequences must not be null or empty.", nameof(stopSequences));
    }

    /// <summary>Whether a stop sequence has completed.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Feeds newly decoded text.</summary>
    public StopMatchResult Append(ReadOnlySpan<char> piece)
    {
        if (Stopped) return new StopMatchResult("", true, null);
        _pending.Append(piece);
        string text = _pending.ToString();

        int earliest = -1;
        string? matched = null;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, StringComparison.Ordinal);
            // At the same position the shorter stop wins: in any token stream it completes first.
            if (at >= 0 && (earliest < 0 || at < earliest || (at == earliest && stop.Length < matched!.Length))) { earliest = at; matched = stop; }
        }
        if (matched is not null)
        {
            Stopped = true;
            _pending.Clear();
            return new StopMatchResult(text[..earliest], true, matched);
        }

        // Hold back the longest suffix that is still a prefix of some stop sequence: any match yet to come
        // must start inside it, because everything before it has been checked against every stop.
        int hold = 0;
        foreach (var stop in _stops)
            for (int length = Math.Min(stop.Length - 1, text.Length); length > hold; length--)
                if (text.AsSpan(text.Length - length).SequenceEqual(stop.AsSpan(0, length))) { hold = length; break; }
        _pending.Clear();
        if (hold > 0) _pending.Append(text, text.Length - hold, hold);
        return new StopMatchResult(hold == 0 ? text : text[..^hold], false, null);
    }

    /// <summary>At the end of generation: releases held-back text (it can no longer become a stop sequence).</summary>
    public string Flush()
    {
        string rest = Stopped ? "" : _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
