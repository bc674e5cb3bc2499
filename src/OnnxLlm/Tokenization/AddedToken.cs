namespace OnnxLlm.Tokenization;

/// <summary>A token matched verbatim in text before BPE (e.g. &lt;|im_start|&gt;, &lt;tool_call&gt;).</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">Its text.</param>
/// <param name="Special">Whether it is a control token (hidden when decoding with skipSpecialTokens).</param>
public sealed record AddedToken(int Id, string Content, bool Special);
