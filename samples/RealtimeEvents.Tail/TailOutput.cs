using System.Globalization;
using System.Text;
using RealtimeEvents.Client;

namespace RealtimeEvents.Tail;

/// <summary>Readable lines: one per event, one per connection change.</summary>
internal static class TailOutput
{
    private const int MaxDataLength = 120;

    public static string Describe(RealtimeEvent evt)
    {
        var data = evt.Data.IsEmpty ? string.Empty : Encoding.UTF8.GetString(evt.Data.Utf8Json.Span);
        if (data.Length > MaxDataLength)
        {
            data = data[..MaxDataLength] + "…";
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{evt.Time.ToLocalTime():HH:mm:ss.fff}  {evt.Position,-18}  {evt.Type,-24}  {evt.Topic,-32}  {data}");
    }

    public static string Describe(ConnectionStateChange change) => change.State switch
    {
        ConnectionState.Open => $"connected{(change.Reason is null ? string.Empty : ": " + change.Reason)}",
        ConnectionState.Reconnecting => string.Create(CultureInfo.InvariantCulture,
            $"reconnecting in {change.Delay?.TotalSeconds:0.0} s (attempt {change.Attempt}){(change.Reason is null ? string.Empty : ": " + change.Reason)}"),
        _ => $"{change.State.ToString().ToLowerInvariant()}{(change.Reason is null ? string.Empty : ": " + change.Reason)}",
    };
}
