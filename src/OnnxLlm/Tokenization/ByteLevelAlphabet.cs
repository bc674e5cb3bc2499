namespace OnnxLlm.Tokenization;

/// <summary>
/// GPT-2's byte-level alphabet, which Qwen's vocabulary is written in: each of the 256 byte values maps to a
/// printable character (printable ASCII and Latin-1 map to themselves, the rest to U+0100 upwards).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> s_charToByte = Enumerable.Range(0, 256).ToDictionary(b => s_byteToChar[b], b => (byte)b);

    /// <summary>The bytes a vocabulary entry stands for.</summary>
    /// <exception cref="InvalidDataException">The entry has a character outside the alphabet.</exception>
    public static byte[] ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!s_charToByte.TryGetValue(token[i], out bytes[i]))
                throw new InvalidDataException($"Vocabulary entry '{token}' has a character (U+{(int)token[i]:X4}) outside the byte-level alphabet.");
        }
        return bytes;
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
