using System.Globalization;
using System.Text;

namespace RealtimeEvents.Reliability.Tests.Soak;

/// <summary>
/// What the soak publishes, as a pure function of (topic, n): the n-th event on topic <c>soak/t/{i}</c> has a type,
/// priority, tenant, conflation key and size chosen by a seeded hash. A subscriber can therefore work out which events it
/// should have got between two it received, and tell a silent gap from an announced one without a record of every event
/// published (a record that would itself grow through the soak).
/// </summary>
internal sealed class SoakPlan(int seed, int topics)
{
    public const string TopicPrefix = "soak/t/";

    private static readonly string[] Types =
    [
        EventTypes.Task.Progress, EventTypes.Task.Started, EventTypes.Task.Completed, EventTypes.Agent.Message,
        EventTypes.Agent.Progress, EventTypes.Execution.Progress, EventTypes.Execution.Failed, EventTypes.Workflow.StepStarted,
    ];

    private static readonly string[] Tenants = ["acme", "globex"];

    public int Topics { get; } = topics;

    public static string Topic(int topic) => string.Create(CultureInfo.InvariantCulture, $"{TopicPrefix}{topic}");

    /// <summary>The topic index of a <c>soak/t/{i}</c> topic, or -1.</summary>
    public static int TopicIndex(string topic) =>
        topic.StartsWith(TopicPrefix, StringComparison.Ordinal)
        && int.TryParse(topic.AsSpan(TopicPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : -1;

    public string Type(int topic, long n) => Types[(int)(Hash(topic, n, 1) % (ulong)Types.Length)];

    public EventPriority Priority(int topic, long n) => (Hash(topic, n, 2) % 20) switch
    {
        < 8 => EventPriority.Low,
        < 15 => EventPriority.Normal,
        < 19 => EventPriority.High,
        _ => EventPriority.Critical,
    };

    public string? Tenant(int topic, long n)
    {
        var pick = Hash(topic, n, 3) % 3;
        return pick == 2 ? null : Tenants[pick];
    }

    /// <summary>Progress events on even topics carry a key: a subscriber that is behind may get only the newest of them.</summary>
    public string? ConflationKey(int topic, long n)
    {
        var type = Type(topic, n);
        return topic % 2 == 0 && type.EndsWith(".progress", StringComparison.Ordinal) ? Topic(topic) + "#" + type : null;
    }

    /// <summary>Mostly small payloads, some of a few KiB, a few large ones.</summary>
    public int PadLength(int topic, long n)
    {
        var h = Hash(topic, n, 4);
        return (h % 200) switch
        {
            < 170 => (int)(h / 200 % 200),
            < 198 => (int)(h / 200 % 3000),
            _ => 8000 + (int)(h / 200 % 8000),
        };
    }

    public EventDraft Draft(int topic, long n)
    {
        var pad = PadLength(topic, n);
        var json = new StringBuilder(pad + 32).Append("{\"n\":").Append(n).Append(",\"pad\":\"").Append('x', pad).Append("\"}").ToString();
        var tenant = Tenant(topic, n);
        return new EventDraft(Type(topic, n), Topic(topic))
        {
            Priority = Priority(topic, n),
            Data = EventData.FromJson(json),
            Meta = tenant is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = tenant },
            ConflationKey = ConflationKey(topic, n),
        };
    }

    private ulong Hash(int topic, long n, int salt)
    {
        // SplitMix64 over (seed, topic, n, salt): cheap, and every field independent enough for a workload.
        var x = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)topic * 0xBF58476D1CE4E5B9UL ^ (ulong)n * 0x94D049BB133111EBUL ^ (ulong)salt << 56);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        return x ^ (x >> 31);
    }
}
