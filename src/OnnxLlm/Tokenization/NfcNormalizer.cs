using System.Text;
using Microsoft.ML.Tokenizers;

namespace OnnxLlm.Tokenization;

/// <summary>Unicode NFC, the normalizer Qwen2's tokenizer.json declares (composes "e" + U+0301 into "é").</summary>
internal sealed class NfcNormalizer : Normalizer
{
    public override string Normalize(string original) => original.IsNormalized(NormalizationForm.FormC) ? original : original.Normalize(NormalizationForm.FormC);

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
