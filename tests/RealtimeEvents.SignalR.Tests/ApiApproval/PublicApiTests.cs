using System.Runtime.CompilerServices;
using RealtimeEvents.Testing;

namespace RealtimeEvents.SignalR.Tests.ApiApproval;

public sealed class PublicApiTests
{
    [Fact]
    public void SignalRPackage_PublicApi_MatchesTheApprovedFile() =>
        PublicApi.Verify(typeof(RealtimeEventsHub).Assembly, ApprovedDirectory(), "RealtimeEvents.SignalR");

    private static string ApprovedDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
