namespace OnnxLlm.Tokenization;

/// <summary>
/// The GPT-2 "bytes_to_unicode" alphabet used by byte-level BPE vocabularies (GPT-2, Qwen2, ...).
/// </summary>
/// <remarks>
/// Byte-level BPE stores every token as a string over 256 printable characters, one per byte value, so that
/// vocab.json and merges.txt never contain control characters or spaces. Printable Latin-1 bytes map to
/// themselves; the remaining 68 bytes (controls, space, 0x7F-0xA0, 0xAD) map to U+0100 upwards in byte order.
/// Decoding maps each character back to its byte.
/// </remarks>
internal static class ByteLevelAlphabet
{
    /// <summary>Highest character the alphabet uses (U+0143); <see cref="CharToByte"/> is sized to it.</summary>
    private const int MaxChar = 0x143;

    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly short[] s_charToByte = BuildCharToByte(s_byteToChar);

    /// <summary>The character that stands for <paramref name="b"/> in byte-level token strings.</summary>
    public static char ByteToChar(byte b) => s_byteToChar[b];

    /// <summary>The byte a byte-level character stands for, or -1 when <paramref name="c"/> is not in the alphabet.</summary>
    public static int CharToByte(char c) => c <= MaxChar ? s_charToByte[c] : -1;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;

        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            map[b] = direct[b] ? (char)b : (char)next++;
        }

        return map;
    }

    private static short[] BuildCharToByte(char[] byteToChar)
    {
        var map = new short[MaxChar + 1];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            map[byteToChar[b]] = (short)b;
        }

        return map;
    }
}
