using System.Runtime.CompilerServices;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Tests.ApiApproval;

public sealed class PublicApiTests
{
    [Fact]
    public void CorePackage_PublicApi_MatchesTheApprovedFile() =>
        PublicApi.Verify(typeof(IEventPublisher).Assembly, ApprovedDirectory(), "RealtimeEvents");

    private static string ApprovedDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
