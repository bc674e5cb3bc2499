using OnnxLlm.Export.Onnx;
using OnnxLlm.ModelFolder.StaticKv;
using OnnxLlm.ModelFolder;

namespace OnnxLlm.Export.Exporting;

/// <summary>
/// Fills <c>onnxllm_contract.json</c> (<see cref="StaticKvContract"/>), which tells a runtime how to drive a <see cref="ExportTarget.CoreML"/>
/// folder (contract <c>static-kv-v1</c>): which graph to run for one token and for a prompt chunk, the fixed
/// shapes, and the I/O names. OnnxLlm's engine reads it (StaticDecoderState); other runtimes can too.
/// </summary>
internal static class StaticKvContractWriter
{
    public static void Write(string path, int layers, int kvHeads, int headDim, int vocab, int maxLength, int prefillChunk, OnnxDataType kvType) =>
        new StaticKvContract
        {
            DecodeFile = ModelFolderFiles.StaticDecodeGraph,
            PrefillFile = ModelFolderFiles.StaticPrefillGraph,
            DataFile = ModelFolderFiles.WeightData,
            MaxLength = maxLength,
            PrefillChunk = prefillChunk,
            NumHiddenLayers = layers,
            NumKeyValueHeads = kvHeads,
            HeadSize = headDim,
            VocabSize = vocab,
            KvDType = kvType == OnnxDataType.Float16 ? "float16" : "float32",
        }.Save(path);
}
