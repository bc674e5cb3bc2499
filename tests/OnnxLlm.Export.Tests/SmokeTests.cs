namespace OnnxLlm.Export.Tests;
[TestClass]
public sealed class SmokeTests { [TestMethod] public void One() => Assert.AreEqual(2, 1 + 1); }
