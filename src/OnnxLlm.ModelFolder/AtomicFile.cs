namespace OnnxLlm.ModelFolder;

/// <summary>Writes a file so that readers never see it half-written: a temporary sibling first, then a move.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string contents)
    {
        string temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, contents);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
