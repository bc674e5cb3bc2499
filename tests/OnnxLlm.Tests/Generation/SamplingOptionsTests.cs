using OnnxLlm.Generation.Sampling;

namespace OnnxLlm.Tests.Generation;

[TestClass]
public sealed class SamplingOptionsTests
{
    [TestMethod]
    public void Defaults_AreNeutral()
    {
        var options = new SamplingOptions();
        Assert.IsTrue(options.DoSample);
        Assert.AreEqual(1f, options.Temperature);
        Assert.IsNull(options.TopK);
        Assert.IsNull(options.TopP);
        Assert.IsNull(options.MinP);
        Assert.IsNull(options.Seed);
        Assert.AreEqual(1f, options.RepetitionPenalty);
        Assert.AreEqual(0f, options.PresencePenalty);
        Assert.AreEqual(0f, options.FrequencyPenalty);
        Assert.IsFalse(options.IsGreedy);
    }

    [TestMethod]
    [DataRow(nameof(SamplingOptions.Temperature), -0.1f)]
    [DataRow(nameof(SamplingOptions.Temperature), float.NaN)]
    [DataRow(nameof(SamplingOptions.Temperature), float.PositiveInfinity)]
    [DataRow(nameof(SamplingOptions.TopP), -0.01f)]
    [DataRow(nameof(SamplingOptions.TopP), 1.01f)]
    [DataRow(nameof(SamplingOptions.TopP), float.NaN)]
    [DataRow(nameof(SamplingOptions.MinP), -0.5f)]
    [DataRow(nameof(SamplingOptions.MinP), 2f)]
    [DataRow(nameof(SamplingOptions.MinP), float.NaN)]
    [DataRow(nameof(SamplingOptions.RepetitionPenalty), 0f)]
    [DataRow(nameof(SamplingOptions.RepetitionPenalty), -1f)]
    [DataRow(nameof(SamplingOptions.RepetitionPenalty), float.NaN)]
    [DataRow(nameof(SamplingOptions.RepetitionPenalty), float.PositiveInfinity)]
    [DataRow(nameof(SamplingOptions.PresencePenalty), 2.5f)]
    [DataRow(nameof(SamplingOptions.PresencePenalty), -2.01f)]
    [DataRow(nameof(SamplingOptions.PresencePenalty), float.NaN)]
    [DataRow(nameof(SamplingOptions.FrequencyPenalty), 3f)]
    [DataRow(nameof(SamplingOptions.FrequencyPenalty), float.NegativeInfinity)]
    public void InvalidFloatOption_ThrowsNamingTheOption(string option, float value)
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Create(option, value));
        Assert.AreEqual(option, ex.ParamName);
        StringAssert.Contains(ex.Message, option);
    }

    [TestMethod]
    public void NegativeTopK_ThrowsNamingTheOption()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new SamplingOptions { TopK = -1 });
        Assert.AreEqual(nameof(SamplingOptions.TopK), ex.ParamName);
    }

    [TestMethod]
    public void WithExpression_IsValidatedToo()
    {
        var options = new SamplingOptions { Temperature = 0.7f };
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options with { TopP = 2f });
        Assert.AreEqual(nameof(SamplingOptions.TopP), ex.ParamName);
    }

    [TestMethod]
    [DataRow(nameof(SamplingOptions.Temperature), 0f)]
    [DataRow(nameof(SamplingOptions.TopP), 0f)]
    [DataRow(nameof(SamplingOptions.TopP), 1f)]
    [DataRow(nameof(SamplingOptions.MinP), 0f)]
    [DataRow(nameof(SamplingOptions.MinP), 1f)]
    [DataRow(nameof(SamplingOptions.RepetitionPenalty), 0.5f)]
    [DataRow(nameof(SamplingOptions.PresencePenalty), -2f)]
    [DataRow(nameof(SamplingOptions.FrequencyPenalty), 2f)]
    public void BoundaryValues_AreAccepted(string option, float value) => Create(option, value);

    [TestMethod]
    public void IsGreedy_WhenDoSampleFalseOrTemperatureZero()
    {
        Assert.IsTrue(SamplingOptions.Greedy.IsGreedy);
        Assert.IsTrue(new SamplingOptions { Temperature = 0f }.IsGreedy);
        Assert.IsTrue(new SamplingOptions { DoSample = false, Temperature = 0.7f }.IsGreedy);
        Assert.IsFalse(new SamplingOptions { Temperature = 1e-6f }.IsGreedy);
    }

    private static SamplingOptions Create(string option, float value) => option switch
    {
        nameof(SamplingOptions.Temperature) => new SamplingOptions { Temperature = value },
        nameof(SamplingOptions.TopP) => new SamplingOptions { TopP = value },
        nameof(SamplingOptions.MinP) => new SamplingOptions { MinP = value },
        nameof(SamplingOptions.RepetitionPenalty) => new SamplingOptions { RepetitionPenalty = value },
        nameof(SamplingOptions.PresencePenalty) => new SamplingOptions { PresencePenalty = value },
        nameof(SamplingOptions.FrequencyPenalty) => new SamplingOptions { FrequencyPenalty = value },
        _ => throw new ArgumentException(option),
    };
}
