using System.Runtime.CompilerServices;
using RealtimeEvents.Testing;

namespace RealtimeEvents.RabbitMQ.Tests.ApiApproval;

public sealed class PublicApiTests
{
    [Fact]
    public void RabbitMqPackage_PublicApi_MatchesTheApprovedFile() =>
        PublicApi.Verify(typeof(RabbitMqEventLogOptions).Assembly, ApprovedDirectory(), "RealtimeEvents.RabbitMQ");

    private static string ApprovedDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
