namespace OnnxLlm.SemanticKernel; internal static class Placeholder { }
