using OnnxLlm.Export.Precision;

namespace OnnxLlm.Hub;

/// <summary>Settings of <see cref="HuggingFaceModelResolver"/>; bindable from configuration (e.g. an "OnnxLlm:Hub" section).</summary>
public sealed class HuggingFaceModelResolverOptions
{
    /// <summary>Where and how models are pulled (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and the cache folder by default).</summary>
    public HubOptions Hub { get; set; } = HubOptions.FromEnvironment();

    /// <summary>Precision of the export made from a pulled checkpoint (fp16 by default; int4 is the fast CPU choice).</summary>
    public ExportPrecision Precision { get; set; } = ExportPrecision.Fp16;
}
