using System.Buffers;
using System.Text;
using RealtimeEvents.AspNetCore.Internal;

namespace RealtimeEvents.AspNetCore.Tests.Internal;

public sealed class ServerMessagesTests
{
    private static string Write(Action<IBufferWriter<byte>> write) => Encoding.UTF8.GetString(ServerMessages.ToArray(write));

    [Theory]
    [InlineData(SubscriptionEndReason.Unsubscribed, "unsubscribed")]
    [InlineData(SubscriptionEndReason.Lagging, "lagging")]
    [InlineData(SubscriptionEndReason.Shutdown, "shutdown")]
    [InlineData(SubscriptionEndReason.Failed, "failed")]
    public void Unsubscribed_NamesEveryEndReason(SubscriptionEndReason reason, string wire) =>
        Assert.Equal($$"""{"op":"unsubscribed","id":"s1","reason":"{{wire}}"}""", Write(b => ServerMessages.Unsubscribed(b, "s1", reason)));

    [Fact]
    public void Overflow_ForDrops_SaysHowManyWhereAndFromWhereToResume()
    {
        var gap = new GapNotice(GapReason.Overflow, 12, new EventPosition("e1", 5), new EventPosition("e1", 16), recoverable: true);

        Assert.Equal("""{"op":"overflow","sub":"s1","reason":"overflow","dropped":12,"first":"e1:5","last":"e1:16","recoverable":true,"resumeAfter":"e1:4"}""",
            Write(b => ServerMessages.Overflow(b, "s1", gap)));
    }

    [Fact]
    public void Overflow_ForAnotherEpoch_HasNoCountNoPositionsAndCannotRecover()
    {
        var gap = new GapNotice(GapReason.EpochChanged, null, null, null, recoverable: false);

        Assert.Equal("""{"op":"overflow","sub":"s1","reason":"epoch_changed","dropped":null,"first":null,"last":null,"recoverable":false}""",
            Write(b => ServerMessages.Overflow(b, "s1", gap)));
    }

    [Fact]
    public void Error_WithoutARequestId_OmitsTheId() =>
        Assert.Equal("""{"op":"error","code":"rate_limited","message":"slow down"}""", Write(b => ServerMessages.Error(b, null, "rate_limited", "slow down")));
}
