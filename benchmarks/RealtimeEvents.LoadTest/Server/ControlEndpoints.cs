using System.Globalization;
using RealtimeEvents.LoadTest.Shared;

namespace RealtimeEvents.LoadTest.Server;

/// <summary>The orchestrator's endpoints: <c>POST /load/run</c> and <c>GET /load/stats</c>.</summary>
internal static class ControlEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints, LoadRunner runner, ConnectionCounter counter, CancellationToken stopping)
    {
        endpoints.MapPost("/load/run", async (HttpContext context) =>
        {
            var query = context.Request.Query;
            if (!TryPositive(query["rate"], out var rate) || !TryPositive(query["seconds"], out var seconds))
            {
                return Results.Text(
                    $"rate and seconds must be positive numbers (rate={query["rate"]}, seconds={query["seconds"]}).",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            var result = await runner.TryRunAsync(rate, seconds, stopping).ConfigureAwait(false);
            return result is null
                ? Results.Text("A run is in progress.", statusCode: StatusCodes.Status409Conflict)
                : Results.Json(result, ControlJson.Options);
        });

        endpoints.MapGet("/load/stats", (HttpContext context) =>
        {
            var gc = context.Request.Query["gc"];
            var collect = gc.Count > 0 && string.Equals(gc[0], "true", StringComparison.OrdinalIgnoreCase);
            return Results.Json(ProcessStats.Read(collect, counter), ControlJson.Options);
        });
    }

    private static bool TryPositive(string? text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value) && value > 0;
}
