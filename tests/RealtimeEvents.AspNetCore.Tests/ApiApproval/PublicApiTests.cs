using System.Runtime.CompilerServices;
using RealtimeEvents.Testing;

namespace RealtimeEvents.AspNetCore.Tests.ApiApproval;

public sealed class PublicApiTests
{
    [Fact]
    public void AspNetCorePackage_PublicApi_MatchesTheApprovedFile() =>
        PublicApi.Verify(typeof(RealtimeEventsTransportOptions).Assembly, ApprovedDirectory(), "RealtimeEvents.AspNetCore");

    private static string ApprovedDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
