namespace ConsoleChat;

/// <summary>
/// Marks where a thinking model's reasoning starts and ends in the streamed output: dim text (SGR 2) on terminals that
/// understand ANSI, a "(thinking)" label and a line break otherwise, so redirected output stays plain.
/// </summary>
internal sealed class ReasoningStyle(bool ansi)
{
    private bool _inReasoning;

    /// <summary>Called before each piece of text: opens or closes the reasoning style when the kind of text changes.</summary>
    public void Switch(bool reasoning)
    {
        if (reasoning == _inReasoning) return;
        _inReasoning = reasoning;
        if (reasoning)
            Console.Out.Write(ansi ? "\u001b[2m" : "(thinking) ");
        else
            Console.Out.Write(ansi ? "\u001b[22m\n" : "\n");
    }
}
