using System.Text;
using RealtimeEvents.RabbitMQ.EventLog;

namespace RealtimeEvents.RabbitMQ.Tests.EventLog;

public sealed class StreamEnvelopeTests
{
    private static readonly DateTimeOffset Time = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Event_RoundTripsEveryField()
    {
        var draft = new EventDraft(EventTypes.Task.Progress, "executions/e1/tasks/t1")
        {
            Priority = EventPriority.High,
            Data = EventData.FromJson("""{"percent":40,"note":"ünïcode"}"""),
            Meta = new Dictionary<string, string> { ["tenant"] = "acme", ["correlation"] = "c-1" },
            ConflationKey = "t1",
        };

        var body = StreamEnvelope.EncodeEvent(draft, "id-1", Time, "epoch1");
        Assert.True(StreamEnvelope.TryDecode(body, out var envelope, out var error), error);

        Assert.Equal(EnvelopeKind.Event, envelope!.Kind);
        Assert.Equal("epoch1", envelope.Epoch);
        Assert.Equal("id-1", envelope.Id);
        Assert.Equal(Time, envelope.Time);
        Assert.Equal(EventTypes.Task.Progress, envelope.Draft!.Type);
        Assert.Equal("executions/e1/tasks/t1", envelope.Draft.Topic);
        Assert.Equal(EventPriority.High, envelope.Draft.Priority);
        Assert.Equal("ünïcode", envelope.Draft.Data.ToJsonElement().GetProperty("note").GetString());
        Assert.Equal("acme", envelope.Draft.Meta!["tenant"]);
        Assert.Equal("c-1", envelope.Draft.Meta["correlation"]);
        Assert.Equal("t1", envelope.Draft.ConflationKey);
    }

    [Fact]
    public void Event_WithoutDataMetaOrKey_RoundTrips()
    {
        var body = StreamEnvelope.EncodeEvent(new EventDraft(EventTypes.Execution.Started, "executions/e1"), "id-2", Time, "e");

        Assert.True(StreamEnvelope.TryDecode(body, out var envelope, out _));
        Assert.True(envelope!.Draft!.Data.IsEmpty);
        Assert.Null(envelope.Draft.Meta);
        Assert.Null(envelope.Draft.ConflationKey);
        Assert.Equal(EventPriority.Normal, envelope.Draft.Priority);
    }

    [Fact]
    public void Event_BodyIsTheDocumentedVersionOneEnvelope()
    {
        var body = StreamEnvelope.EncodeEvent(new EventDraft(EventTypes.Execution.Started, "executions/e1"), "id-3", Time, "ep");

        Assert.Equal(
            """{"v":1,"kind":"event","epoch":"ep","id":"id-3","type":"execution.started","topic":"executions/e1","priority":"normal","time":"2026-11-22T10:00:00+00:00","data":null}""",
            Encoding.UTF8.GetString(body));
    }

    [Theory]
    [InlineData(true, """{"v":1,"kind":"hello","epoch":"claim1","node":"n1"}""")]
    [InlineData(false, """{"v":1,"kind":"beacon","epoch":"claim1","node":"n1"}""")]
    public void Markers_RoundTrip(bool hello, string expected)
    {
        var kind = hello ? EnvelopeKind.Hello : EnvelopeKind.Beacon;
        var body = StreamEnvelope.EncodeMarker(kind, "claim1", "n1");

        Assert.Equal(expected, Encoding.UTF8.GetString(body));
        Assert.True(StreamEnvelope.TryDecode(body, out var envelope, out _));
        Assert.Equal(kind, envelope!.Kind);
        Assert.Equal("claim1", envelope.Epoch);
        Assert.Equal("n1", envelope.Node);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"kind":"event"}""", "no version")]
    [InlineData("""{"v":"1","kind":"event"}""", "no version")]
    [InlineData("""{"v":2,"kind":"event","epoch":"e"}""", "version 2 is not supported")]
    [InlineData("""{"v":1,"kind":"party","epoch":"e"}""", "unknown envelope kind")]
    [InlineData("""{"v":1,"kind":"event","epoch":"bad epoch!"}""", "no valid \"epoch\"")]
    [InlineData("""{"v":1,"kind":"event","epoch":"e","id":"i","type":"task.progress","topic":"t"}""", "no valid \"time\"")]
    [InlineData("""{"v":1,"kind":"event","epoch":"e","type":"task.progress","topic":"t","time":"2026-11-22T10:00:00Z"}""", "no \"id\"")]
    [InlineData("""{"v":1,"kind":"event","epoch":"e","id":"i","type":"Not A Type","topic":"t","time":"2026-11-22T10:00:00Z"}""", "the event is invalid")]
    [InlineData("""{"v":1,"kind":"event","epoch":"e","id":"i","type":"task.progress","topic":"t","time":"2026-11-22T10:00:00Z","priority":"urgent"}""", "unknown priority")]
    [InlineData("""{"v":1,"kind":"event","epoch":"e","id":"i","type":"task.progress","topic":"t","time":"2026-11-22T10:00:00Z","meta":{"n":1}}""", "is not a string")]
    public void Decode_RejectsWhatIsNotAValidEnvelope_WithAReason(string body, string reason)
    {
        Assert.False(StreamEnvelope.TryDecode(Encoding.UTF8.GetBytes(body), out var envelope, out var error));
        Assert.Null(envelope);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RejectsALoneSurrogateEscape_WithAReason()
    {
        var body = """{"v":1,"kind":"event","epoch":"e","id":"i","type":"task.progress","topic":"t\ud800","time":"2026-11-22T10:00:00Z"}""";

        Assert.False(StreamEnvelope.TryDecode(Encoding.UTF8.GetBytes(body), out _, out var error));
        Assert.Contains("not valid text", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_RejectsInvalidUtf8()
    {
        Assert.False(StreamEnvelope.TryDecode(new byte[] { 0x7b, 0xff, 0xfe, 0x7d }, out _, out var error));
        Assert.NotNull(error);
    }
}
