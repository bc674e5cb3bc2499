using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Onnx;

/// <summary>The ONNX element types the exporter writes.</summary>
internal enum OnnxDataType
{
    Float = TensorProto.Types.DataType.Float,
    Float16 = TensorProto.Types.DataType.Float16,
    UInt8 = TensorProto.Types.DataType.Uint8,
    Int8 = TensorProto.Types.DataType.Int8,
    Int32 = TensorProto.Types.DataType.Int32,
    Int64 = TensorProto.Types.DataType.Int64,
}

internal static class OnnxDataTypeExtensions
{
    public static int ElementSize(this OnnxDataType type) => type switch
    {
        OnnxDataType.Float => 4,
        OnnxDataType.Float16 => 2,
        OnnxDataType.UInt8 or OnnxDataType.Int8 => 1,
        OnnxDataType.Int32 => 4,
        OnnxDataType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
