namespace RealtimeEvents.Tail;

/// <summary>The command line: <c>--url</c> (required), <c>--topic</c>/<c>--type</c> (repeatable), <c>--min-priority</c>, <c>--since</c>, <c>--token</c>, <c>--json</c>, <c>--until</c>.</summary>
internal sealed record TailArguments(Uri Url, string[] Topics, string[] Types, EventPriority MinPriority, EventPosition? Since, string? Token,
    bool Json, string? Until)
{
    public const string Usage = """
        Usage: RealtimeEvents.Tail --url <prefix> [options]

          --url <prefix>          the MapRealtimeEvents prefix, for example http://localhost:5000/realtime
          --topic <pattern>       a topic or topic pattern (repeatable; default: every topic)
          --type <pattern>        an event type pattern (repeatable; default: every type)
          --min-priority <p>      low, normal, high or critical (default: low)
          --since <epoch:seq>     start after this position instead of now
          --token <token>         an access token (sent as access_token); or set REALTIME_TOKEN
          --json                  print each event's JSON on one line instead of a readable line
          --until <type-pattern>  exit (0) after the first event whose type matches, e.g. execution.completed

        Exit codes: 0 done (--until matched, or Ctrl+C), 1 error, 2 bad arguments, 3 authentication or authorization refused.
        """;

    public static bool TryParse(string[] args, out TailArguments? parsed, out string error)
    {
        parsed = null;
        error = string.Empty;
        Uri? url = null;
        List<string> topics = [], types = [];
        var priority = EventPriority.Low;
        EventPosition? since = null;
        string? token = Environment.GetEnvironmentVariable("REALTIME_TOKEN"), until = null;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name == "--json")
            {
                json = true;
                continue;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                error = $"{name} needs a value.";
                return false;
            }

            var value = args[++i];
            switch (name)
            {
                case "--url" when Uri.TryCreate(value, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https" or "ws" or "wss":
                    url = absolute;
                    break;
                case "--url":
                    error = $"--url must be an absolute http(s) or ws(s) URL, not '{value}'.";
                    return false;
                case "--topic":
                    topics.Add(value);
                    break;
                case "--type":
                    types.Add(value);
                    break;
                case "--min-priority" when PriorityNames.TryParse(value, out var p):
                    priority = p;
                    break;
                case "--min-priority":
                    error = $"--min-priority must be low, normal, high or critical, not '{value}'.";
                    return false;
                case "--since" when EventPosition.TryParse(value, out var position):
                    since = position;
                    break;
                case "--since":
                    error = $"--since must be a position 'epoch:seq', not '{value}'.";
                    return false;
                case "--token":
                    token = value;
                    break;
                case "--until":
                    until = value;
                    break;
                default:
                    error = $"Unknown option '{name}'.";
                    return false;
            }
        }

        if (url is null)
        {
            error = "--url is required.";
            return false;
        }

        parsed = new TailArguments(url, [.. topics], [.. types], priority, since, token, json, until);
        return true;
    }
}
