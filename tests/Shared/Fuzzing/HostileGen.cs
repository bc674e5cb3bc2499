using System.Text;
using CsCheck;

namespace OnnxLlm.Testing.Fuzzing;

/// <summary>
/// Generators of hostile file contents: structured mutations of a valid file (bytes flipped, inserted, deleted,
/// duplicated or truncated; numbers replaced by extreme ones; deep nesting and broken UTF-8 spliced in) and plain
/// random bytes. Every part is a CsCheck generator, so a failing input shrinks to few, small mutations.
/// </summary>
internal static class HostileGen
{
    /// <summary>Tokens that break readers: extreme and malformed numbers, stray JSON syntax, invalid UTF-8, deep nesting.</summary>
    public static readonly string[] HostileTokens =
    [
        "-1", "0", "1e400", "-1e400", "NaN", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "4294967296", "2147483648", "1.5", "1e-400", "00", "-0",
        "\"", "{", "}", "[", "]", ":", ",", "null", "true", "\"\"", "{}", "[]", "\"\\uD800\"", "\"\\u0000\"", "\\",
        new string('[', 5000), new string('{', 300) + "\"a\":", "\"" + new string('x', 70_000) + "\"", "\uFEFF", "\u0000",
        "{%", "%}", "{{", "}}", "{#", "#}", "\r\n", "\t", " ",
    ];

    private static readonly byte[][] HostileBytes =
        [.. HostileTokens.Select(Encoding.UTF8.GetBytes), [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]];

    /// <summary>One edit of a byte string.</summary>
    /// <param name="Kind">0 overwrite, 1 insert, 2 delete, 3 truncate, 4 duplicate, 5 splice a hostile token, 6 replace a number.</param>
    /// <param name="Position">Where (taken modulo the length).</param>
    /// <param name="Length">How many bytes (delete / duplicate).</param>
    /// <param name="Payload">Bytes to write or insert.</param>
    /// <param name="Token">Index into <see cref="HostileTokens"/> (and the invalid UTF-8 sequences after them).</param>
    public readonly record struct Mutation(int Kind, int Position, int Length, byte[] Payload, int Token);

    /// <summary>A random edit.</summary>
    public static readonly Gen<Mutation> Mutations = Gen.Select(Gen.Int[0, 6], Gen.Int[0, int.MaxValue], Gen.Int[0, 64],
        Gen.Byte.Array[1, 16], Gen.Int[0, HostileBytes.Length - 1], (k, p, l, b, t) => new Mutation(k, p, l, b, t));

    /// <summary>Valid file <paramref name="seed"/> with 1–6 edits, or (one time in eight) up to 2 KiB of random bytes.</summary>
    public static Gen<byte[]> Of(byte[] seed) => Gen.Frequency(
        (7, Mutations.Array[1, 6].Select(m => Apply(seed, m))),
        (1, Gen.Byte.Array[0, 2048]));

    /// <summary>Applies <paramref name="mutations"/> in order to a copy of <paramref name="seed"/>.</summary>
    public static byte[] Apply(byte[] seed, Mutation[] mutations)
    {
        var bytes = new List<byte>(seed);
        foreach (var m in mutations)
        {
            int pos = bytes.Count == 0 ? 0 : m.Position % (bytes.Count + 1);
            switch (m.Kind)
            {
                case 0:
                    for (int i = 0; i < m.Payload.Length && pos + i < bytes.Count; i++) bytes[pos + i] = m.Payload[i];
                    break;
                case 1:
                    bytes.InsertRange(pos, m.Payload);
                    break;
                case 2:
                    bytes.RemoveRange(pos, Math.Min(m.Length, bytes.Count - pos));
                    break;
                case 3:
                    bytes.RemoveRange(pos, bytes.Count - pos);
                    break;
                case 4:
                    bytes.InsertRange(pos, bytes.GetRange(pos, Math.Min(m.Length, bytes.Count - pos)));
                    break;
                case 5:
                    bytes.InsertRange(pos, HostileBytes[m.Token]);
                    break;
                default:
                    ReplaceNumber(bytes, pos, HostileBytes[m.Token]);
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Replaces the first run of digits at or after <paramref name="pos"/> (wrapping around) with <paramref name="token"/>.</summary>
    private static void ReplaceNumber(List<byte> bytes, int pos, byte[] token)
    {
        for (int n = 0; n < bytes.Count; n++)
        {
            int start = (pos + n) % bytes.Count;
            if (!char.IsAsciiDigit((char)bytes[start])) continue;
            int end = start;
            while (end < bytes.Count && (char.IsAsciiDigit((char)bytes[end]) || bytes[end] is (byte)'.' or (byte)'e' or (byte)'-')) end++;
            bytes.RemoveRange(start, end - start);
            bytes.InsertRange(start, token);
            return;
        }
    }

    /// <summary>A short description of a byte input for failure messages (printable ASCII kept, the rest escaped).</summary>
    public static string Describe(byte[] bytes)
    {
        var text = new StringBuilder($"{bytes.Length} bytes: ");
        foreach (byte b in bytes.AsSpan(0, Math.Min(bytes.Length, 600)))
            text.Append(b is >= 32 and < 127 ? ((char)b).ToString() : $"\\x{b:X2}");
        return text.ToString();
    }
}
