namespace RealtimeEvents.Reliability.Tests.Support;

/// <summary>
/// Tests that measure this process's memory, handles or threads run in this collection: xunit runs it after the others,
/// with nothing else in the process, so what they measure is theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeasuredAloneCollection
{
    /// <summary>The collection's name, for <c>[Collection(MeasuredAloneCollection.Name)]</c>.</summary>
    public const string Name = "Measured alone";
}
