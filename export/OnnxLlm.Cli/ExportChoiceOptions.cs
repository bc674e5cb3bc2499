using System.CommandLine;
using OnnxLlm.Export.Exporting;
using OnnxLlm.Export.Precision;

namespace OnnxLlm.Cli;

/// <summary>The <c>--precision</c> and <c>--target</c> options shared by the commands that export (export, pull, chat).</summary>
internal static class ExportChoiceOptions
{
    public static Option<string> Precision(string description)
    {
        var precision = new Option<string>("--precision") { Description = description, DefaultValueFactory = _ => "fp16" };
        precision.AcceptOnlyFromAmong("fp16", "fp32", "int4", "int8");
        return precision;
    }

    /// <summary>The precision named by a validated <c>--precision</c> value.</summary>
    public static ExportPrecision ParsePrecision(string value) => Enum.Parse<ExportPrecision>(value, ignoreCase: true);

    public static Option<string> Target(string description)
    {
        var target = new Option<string>("--target") { Description = description, DefaultValueFactory = _ => "cpu" };
        target.AcceptOnlyFromAmong("cpu", "coreml");
        return target;
    }

    /// <summary>The target named by a validated <c>--target</c> value.</summary>
    public static ExportTarget ParseTarget(string value) => value == "coreml" ? ExportTarget.CoreML : ExportTarget.Cpu;
}
