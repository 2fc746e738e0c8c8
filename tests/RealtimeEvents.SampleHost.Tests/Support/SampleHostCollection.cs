namespace RealtimeEvents.SampleHost.Tests.Support;

/// <summary>
/// Every test of this project runs against one sample host process and one browser; the tests of a collection run one
/// after another, so they never compete for the simulator or the CPU.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SampleHostCollection : ICollectionFixture<SampleHostFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "Sample host";
}
