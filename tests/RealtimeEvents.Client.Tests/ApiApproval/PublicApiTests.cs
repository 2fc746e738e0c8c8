using System.Runtime.CompilerServices;
using RealtimeEvents.Testing;

namespace RealtimeEvents.Client.Tests.ApiApproval;

public sealed class PublicApiTests
{
    [Fact]
    public void ClientPackage_PublicApi_MatchesTheApprovedFile() =>
        PublicApi.Verify(typeof(RealtimeEventsClient).Assembly, ApprovedDirectory(), "RealtimeEvents.Client");

    private static string ApprovedDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
