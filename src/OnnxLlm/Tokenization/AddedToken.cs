namespace OnnxLlm.Tokenization;

/// <summary>
/// A token added on top of the BPE vocabulary (<c>added_tokens_decoder</c> in tokenizer_config.json,
/// <c>added_tokens</c> in tokenizer.json): matched verbatim in text and mapped straight to its id.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The exact text of the token, e.g. <c>&lt;|im_start|&gt;</c>.</param>
/// <param name="Special">Whether the token is special (dropped by decoding with <c>skipSpecialTokens</c>).</param>
internal readonly record struct AddedToken(int Id, string Content, bool Special);
