using BenchmarkDotNet.Attributes;
using RealtimeEvents.Benchmarks.Support;

namespace RealtimeEvents.Benchmarks;

/// <summary>
/// The cost of <see cref="EventFilter.Matches"/> per event, for the filters dashboards use, against the hand-written check
/// a host would write for the same subscription (an exact topic and a type prefix). Figures are per event checked.
/// </summary>
[MemoryDiagnoser]
[ShortInProcessJob]
public class FilterBenchmarks
{
    private const int Events = 1000;

    private RealtimeEvent[] _events = [];
    private EventFilter _exact = null!;
    private EventFilter _pattern = null!;
    private EventFilter _everything = null!;
    private EventFilter _noMatch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var drafts = new[]
        {
            BenchmarkEvents.Draft(),
            new EventDraft(EventTypes.Execution.Started, "executions/exec-1"),
            new EventDraft(EventTypes.Agent.Progress, "executions/exec-1/agents/agent-2") { Priority = EventPriority.High },
            BenchmarkEvents.Draft("executions/exec-2"),
        };
        _events = [.. Enumerable.Range(0, Events).Select(i => BenchmarkEvents.StampMany(drafts[i % drafts.Length], 1)[0])];
        _exact = EventFilter.Create(["executions/exec-1"], ["task.*"]);
        _pattern = EventFilter.Create(["executions/**"], ["task.*", "agent.*"], EventPriority.Normal);
        _everything = EventFilter.Create();
        _noMatch = EventFilter.Create(["tenants/acme/**"], ["experiment.*"]);
    }

    /// <summary>What hand-rolled code writes for "topic executions/exec-1, types task.*": two string comparisons.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int HandWritten_ExactTopicAndTypePrefix()
    {
        var matched = 0;
        foreach (var evt in _events)
        {
            if (string.Equals(evt.Topic, "executions/exec-1", StringComparison.Ordinal) && evt.Type.StartsWith("task.", StringComparison.Ordinal))
            {
                matched++;
            }
        }

        return matched;
    }

    /// <summary>The same subscription as an <see cref="EventFilter"/>: <c>executions/exec-1</c>, <c>task.*</c>.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Filter_ExactTopicAndTypePattern() => MatchAll(_exact);

    /// <summary>A dashboard's filter: <c>executions/**</c>, <c>task.*</c> and <c>agent.*</c>, at least normal priority.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Filter_TopicPatternTwoTypesAndPriority() => MatchAll(_pattern);

    /// <summary>No topics, no types: everything matches.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Filter_Everything() => MatchAll(_everything);

    /// <summary>A filter nothing here matches (another tenant's pattern).</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Filter_NoMatch() => MatchAll(_noMatch);

    private int MatchAll(EventFilter filter)
    {
        var matched = 0;
        foreach (var evt in _events)
        {
            if (filter.Matches(evt))
            {
                matched++;
            }
        }

        return matched;
    }
}
