using System.Globalization;
using System.Text.Json;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// Checks one subscription's stream against the plan (docs/protocol.md, Ordering guarantees): positions strictly increase,
/// every event matches the filter, and every matching event between two received on a topic either arrived, was
/// superseded by conflation (it has a key), or lies inside a range an <c>overflow</c> announced. What it learns per
/// topic (<see cref="TopicState"/>) is carried to the next subscription of the same client, so a resume is checked across
/// the reconnect too. Used from one reader thread at a time.
/// </summary>
internal sealed class StreamChecker
{
    private const int MaxGaps = 256;

    private readonly SoakPlan _plan;
    private readonly SoakFilter _filter;
    private readonly SoakTally _tally;
    private readonly string _name;
    private readonly long[] _snapshotFloor;
    private string _epoch = string.Empty;

    public StreamChecker(SoakPlan plan, SoakFilter filter, TopicState state, SoakTally tally, string name)
    {
        _plan = plan;
        _filter = filter;
        State = state;
        _tally = tally;
        _name = name;
        _snapshotFloor = new long[plan.Topics];
    }

    public TopicState State { get; }

    /// <summary>Gets the subscription's resume point: its start, then the last event received.</summary>
    public string? Position => LastSequence < 0 ? null : string.Create(CultureInfo.InvariantCulture, $"{_epoch}:{LastSequence}");

    public long LastSequence { get; private set; } = -1;

    public string? Failure { get; private set; }

    /// <summary>Reads <c>subscribed</c>: where the subscription starts, and the snapshots' state if any.</summary>
    public void OnSubscribed(JsonElement subscribed, string? expectedResume)
    {
        var position = EventPosition.Parse(subscribed.GetProperty("position").GetString()!);
        _epoch = position.Epoch;
        LastSequence = position.Sequence;
        var resume = subscribed.GetProperty("resume");
        var actual = resume.ValueKind == JsonValueKind.Null ? null : resume.GetString();
        // A resume may find history cut (it is bounded); that arrives as an overflow, checked like any gap.
        if (actual != expectedResume && !(expectedResume == "complete" && actual == "truncated"))
        {
            Fail($"subscribed with resume '{actual}', expected '{expectedResume}': {subscribed.GetRawText()}");
        }

        if (subscribed.TryGetProperty("snapshots", out var snapshots))
        {
            foreach (var snapshot in snapshots.EnumerateArray())
            {
                var topic = SoakPlan.TopicIndex(snapshot.GetProperty("topic").GetString()!);
                var n = snapshot.GetProperty("state").GetProperty("n").GetInt64();
                var at = EventPosition.Parse(snapshot.GetProperty("position").GetString()!).Sequence;
                // docs/protocol.md, Snapshots: the state may already hold events after its position; those arrive again.
                _snapshotFloor[topic] = n;
                State.LastN[topic] = n;
                State.LastSequence[topic] = at;
            }
        }
    }

    public void OnEvent(JsonElement evt)
    {
        var seq = evt.GetProperty("seq").GetInt64();
        var topicName = evt.GetProperty("topic").GetString()!;
        var topic = SoakPlan.TopicIndex(topicName);
        var n = evt.GetProperty("data").GetProperty("n").GetInt64();
        _tally.Add(ref _tally.DeliveriesChecked);
        if (!string.Equals(evt.GetProperty("epoch").GetString(), _epoch, StringComparison.Ordinal))
        {
            Fail($"event of epoch {evt.GetProperty("epoch").GetString()}, the subscription's is {_epoch}");
            return;
        }

        if (seq <= LastSequence)
        {
            Fail($"seq {seq} ({topicName} n={n}) after seq {LastSequence}: a repeat or reordering");
            return;
        }

        LastSequence = seq;
        if (!_filter.Matches(_plan, topic, n) || evt.GetProperty("type").GetString() != _plan.Type(topic, n)
            || evt.GetProperty("priority").GetString() != PriorityNames.ToWire(_plan.Priority(topic, n)))
        {
            Fail($"{topicName} n={n} ({evt.GetProperty("type").GetString()}, {evt.GetProperty("priority").GetString()}) does not match {_filter}");
            return;
        }

        var last = State.LastN[topic];
        if (last >= 0 && n <= last)
        {
            if (n <= _snapshotFloor[topic])
            {
                return; // already in the snapshot's state
            }

            Fail($"{topicName} n={n} (seq {seq}) after n={last}: a repeat or reordering");
            return;
        }

        if (last >= 0 && n > last + 1)
        {
            CheckSkipped(topic, last, n, State.LastSequence[topic], seq);
        }

        State.LastN[topic] = n;
        State.LastSequence[topic] = seq;
    }

    /// <summary>Reads an <c>overflow</c>: the range it announces covers the gaps inside it.</summary>
    public void OnOverflow(JsonElement notice)
    {
        _tally.Add(ref _tally.OverflowsAnnounced);
        var first = notice.GetProperty("first");
        var last = notice.GetProperty("last");
        if (first.ValueKind == JsonValueKind.Null || last.ValueKind == JsonValueKind.Null)
        {
            Fail($"an overflow without a range (the epoch never changes here): {notice.GetRawText()}");
            return;
        }

        var from = EventPosition.Parse(first.GetString()!).Sequence;
        var to = EventPosition.Parse(last.GetString()!).Sequence;
        if (from <= LastSequence || to < from)
        {
            Fail($"overflow {from}..{to} out of order after seq {LastSequence}");
        }

        if (notice.GetProperty("reason").GetString() == "overflow")
        {
            _tally.Add(ref _tally.QueueOverflows);
            _tally.Add(ref _tally.EventsDroppedAnnounced, notice.GetProperty("dropped").GetInt64());
        }

        State.Gaps.Add((from, to));
        if (State.Gaps.Count > MaxGaps)
        {
            State.Gaps.RemoveAt(0);
        }
    }

    public void Fail(string what) => Failure ??= $"{_name}: {what}";

    private void CheckSkipped(int topic, long lastN, long n, long lastSeq, long seq)
    {
        // An announced range inside (lastSeq, seq) may hold the missing ones; the plan says which are missing.
        var covered = State.Gaps.Any(g => g.First < seq && g.Last > lastSeq);
        for (var m = lastN + 1; m < n; m++)
        {
            if (!_filter.Matches(_plan, topic, m))
            {
                continue;
            }

            if (covered)
            {
                continue;
            }

            if (_plan.ConflationKey(topic, m) is not null)
            {
                _tally.Add(ref _tally.ConflatedSkips);
                continue;
            }

            Fail($"silent gap: {SoakPlan.Topic(topic)} n={m} never arrived (between n={lastN} at seq {lastSeq} and n={n} at seq {seq}), no overflow covers it");
            return;
        }
    }
}
