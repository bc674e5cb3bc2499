namespace OnnxLlm.Export.CoreML;

/// <summary>Why ONNX Runtime 1.31's CoreML execution provider (MLProgram) would leave a node to the CPU.</summary>
public enum CoreMLRule
{
    /// <summary>The node's domain is not the default ONNX domain (e.g. com.microsoft contrib ops: CoreML has no builder for them).</summary>
    NonDefaultDomain,

    /// <summary>The op has no CoreML op builder in 1.31 (e.g. Expand, Equal, Less, Range, Trilu, ConstantOfShape, Neg, Min).</summary>
    UnsupportedOp,

    /// <summary>An input's rank is unknown (every input must have a known rank).</summary>
    UnknownShape,

    /// <summary>An input or output has rank above 5.</summary>
    RankAbove5,

    /// <summary>A shape contains a zero-sized dimension.</summary>
    ZeroDim,

    /// <summary>Input 0's element type is not one the builder accepts (by default fp32, fp16, int64).</summary>
    InputDataType,

    /// <summary>The op needs a fully static input shape (Reshape, Slice input 0; Split's axis) and it is dynamic.</summary>
    DynamicShapeInput,

    /// <summary>An input that must be a constant initializer is computed (Reshape shape, Slice starts/ends/axes/steps, Reduce axes, Gemm B/C, Split sizes, (Un)Squeeze axes).</summary>
    NonConstantInput,

    /// <summary>An attribute value the builder refuses (Gemm transA/alpha/beta, Gemm C shape, Concat with one input).</summary>
    UnsupportedAttribute,

    /// <summary>MatMul where exactly one input is 1-D (a CoreML bug makes ORT refuse it).</summary>
    OneDimensionalMatMul,

    /// <summary>A dynamic input dimension while static shapes are required (ORT's RequireStaticInputShapes=1, and the route to the Neural Engine).</summary>
    DynamicDimension,
}
