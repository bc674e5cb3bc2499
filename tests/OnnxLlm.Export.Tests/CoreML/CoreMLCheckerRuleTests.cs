using Google.Protobuf;
using OnnxLlm.Export.CoreML;
using OnnxLlm.Export.Onnx;
using OnnxLlm.Export.Onnx.Schema;

namespace OnnxLlm.Export.Tests.CoreML;

/// <summary>Each CoreML rule of the checker, on a small hand-built graph that breaks it (and one that does not).</summary>
[TestClass]
public sealed class CoreMLCheckerRuleTests
{
    private static CoreMLFileReport Check(GraphBuilder g, CoreMLCheckOptions? options = null)
    {
        var model = new ModelProto { IrVersion = 10, Graph = g.Graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        // Round-trip through bytes, as a file would be read.
        return CoreMLChecker.Check(ModelProto.Parser.ParseFrom(model.ToByteArray()), "test.onnx", options);
    }

    private static void AssertRule(CoreMLFileReport report, string node, CoreMLRule rule) =>
        Assert.IsTrue(report.Rejections.Any(r => r.NodeName == node && r.Rule == rule), $"expected {node}: {rule}\n{report.Format()}");

    [TestMethod]
    public void StaticReshapeWithConstantShape_IsAccepted_OnePartition()
    {
        var g = new GraphBuilder("ok");
        g.Input("x", OnnxDataType.Float16, 1, 4, 8);
        var r = g.Op("Reshape", "reshape", ["x", g.ConstantInt64("shape", 1, 32)]);
        var s = g.Op("Sigmoid", "sigmoid", [r]);
        g.Node("Identity", [s], ["y"], name: "out");
        g.Output("y", OnnxDataType.Float16, 1, 32);
        var report = Check(g, new CoreMLCheckOptions { RequireStaticShapes = true });
        Assert.IsEmpty(report.Rejections, report.Format());
        CollectionAssert.AreEqual(new[] { 3 }, report.Partitions.ToArray());
    }

    [TestMethod]
    public void ReshapeOfDynamicInput_IsRejected()
    {
        var g = new GraphBuilder("dyn");
        g.Input("x", OnnxDataType.Float, "batch", 8);
        g.Op("Reshape", "reshape", ["x", g.ConstantInt64("shape", -1, 2, 4)]);
        AssertRule(Check(g), "reshape", CoreMLRule.DynamicShapeInput);
    }

    [TestMethod]
    public void ReshapeWithComputedShape_IsRejected()
    {
        var g = new GraphBuilder("computed");
        g.Input("x", OnnxDataType.Float, 2, 8);
        var shape = g.Op("Shape", "shape", ["x"]);
        g.Op("Reshape", "reshape", ["x", shape]);
        var report = Check(g);
        AssertRule(report, "reshape", CoreMLRule.NonConstantInput);
        Assert.IsFalse(report.RejectedNodes.Contains("shape"), "Shape itself is supported");
    }

    [TestMethod]
    public void RankSixTensor_IsRejected()
    {
        var g = new GraphBuilder("rank6");
        g.Input("x", OnnxDataType.Float, 1, 2, 2, 2, 2, 2);
        g.Op("Sigmoid", "sigmoid", ["x"]);
        g.Input("y", OnnxDataType.Float, 2, 16);
        g.Op("Reshape", "to_rank6", ["y", g.ConstantInt64("shape6", 1, 2, 2, 2, 2, 2)]);
        var report = Check(g);
        AssertRule(report, "sigmoid", CoreMLRule.RankAbove5);
        AssertRule(report, "to_rank6", CoreMLRule.RankAbove5);
    }

    [TestMethod]
    [DataRow("Expand")]
    [DataRow("Equal")]
    [DataRow("Range")]
    [DataRow("Trilu")]
    [DataRow("ConstantOfShape")]
    [DataRow("Neg")]
    [DataRow("Min")]
    public void OpsWithoutACoreMLBuilder_AreRejected(string op)
    {
        var g = new GraphBuilder("unsupported");
        g.Input("x", OnnxDataType.Float, 2, 4);
        g.Op(op, "node", ["x"]);
        AssertRule(Check(g), "node", CoreMLRule.UnsupportedOp);
    }

    [TestMethod]
    public void ZeroSizedDimension_IsRejected()
    {
        var g = new GraphBuilder("zero");
        g.Input("x", OnnxDataType.Float, 1, 0, 4);
        g.Op("Relu", "relu", ["x"]);
        AssertRule(Check(g), "relu", CoreMLRule.ZeroDim);
    }

    [TestMethod]
    public void ContribOp_IsRejectedForItsDomain()
    {
        var g = new GraphBuilder("contrib");
        g.Input("x", OnnxDataType.Float, 1, 4);
        g.Op("FastGelu", "gelu", ["x"], domain: GraphBuilder.MicrosoftDomain);
        AssertRule(Check(g), "gelu", CoreMLRule.NonDefaultDomain);
    }

    [TestMethod]
    public void Int32FirstInput_IsRejected()
    {
        var g = new GraphBuilder("int32");
        g.Input("x", OnnxDataType.Int32, 1, 4);
        g.Op("Add", "add", ["x", "x"]);
        AssertRule(Check(g), "add", CoreMLRule.InputDataType);
    }

    [TestMethod]
    public void GemmWithTransAOrComputedB_IsRejected()
    {
        var g = new GraphBuilder("gemm");
        g.Input("a", OnnxDataType.Float, 4, 3);
        g.Input("b", OnnxDataType.Float, 4, 5);
        g.Op("Gemm", "gemm", ["a", "b"], attributes: Attr.Int("transA", 1));
        var report = Check(g);
        AssertRule(report, "gemm", CoreMLRule.NonConstantInput);
        AssertRule(report, "gemm", CoreMLRule.UnsupportedAttribute);
    }

    [TestMethod]
    public void ReduceMeanWithComputedAxes_IsRejected()
    {
        var g = new GraphBuilder("reduce");
        g.Input("x", OnnxDataType.Float, 2, 4);
        g.Input("axes", OnnxDataType.Int64, 1);
        g.Op("ReduceMean", "mean", ["x", "axes"]);
        AssertRule(Check(g), "mean", CoreMLRule.NonConstantInput);
    }

    [TestMethod]
    public void DynamicDimension_IsRejectedOnlyWhenStaticShapesAreRequired()
    {
        var g = new GraphBuilder("dynamic");
        g.Input("x", OnnxDataType.Float, "n", 4);
        g.Op("Relu", "relu", ["x"]);
        Assert.IsEmpty(Check(g).Rejections);
        AssertRule(Check(g, new CoreMLCheckOptions { RequireStaticShapes = true }), "relu", CoreMLRule.DynamicDimension);
    }

    [TestMethod]
    public void UnsupportedNodeBetweenSupportedOnes_CutsTwoPartitions_AndTrivialOnlyPartitionsAreDropped()
    {
        var g = new GraphBuilder("cut");
        g.Input("x", OnnxDataType.Float, 2, 4);
        var a = g.Op("Relu", "relu", ["x"]);
        var b = g.Op("Neg", "neg", [a]);           // unsupported: cuts the graph
        var c = g.Op("Sigmoid", "sigmoid", [b]);
        var d = g.Op("Neg", "neg2", [c]);
        g.Op("Transpose", "transpose", [d]);        // a partition of one trivial op: dropped
        var report = Check(g);
        CollectionAssert.AreEqual(new[] { 1, 1 }, report.Partitions.ToArray(), report.Format());
        Assert.AreEqual(1, report.DroppedTrivialPartitions);
        Assert.HasCount(2, report.RejectedNodes);
    }

    [TestMethod]
    public void UnsupportedNodeOffTheGroupsBorder_DoesNotCutTheGroup()
    {
        // relu(x) and neg(y) are both ready at the start; neg does not consume the group's output, so ORT processes
        // it in the same wave and sigmoid(neg) joins relu's group: one partition, not two.
        var g = new GraphBuilder("wave");
        g.Input("x", OnnxDataType.Float, 2, 4);
        g.Input("y", OnnxDataType.Float, 2, 4);
        g.Op("Relu", "relu", ["x"]);
        var n = g.Op("Neg", "neg", ["y"]);
        g.Op("Sigmoid", "sigmoid", [n]);
        var report = Check(g);
        CollectionAssert.AreEqual(new[] { 2 }, report.Partitions.ToArray(), report.Format());
    }
}
