using RealtimeEvents.SampleHost.Engine;

namespace RealtimeEvents.SampleHost.Api;

/// <summary>The executions API the dashboard calls: start, cancel, list, one.</summary>
public static class ExecutionsApi
{
    /// <summary>A request to start an execution; both fields are optional.</summary>
    /// <param name="Workflow">The workflow's name.</param>
    /// <param name="Agents">How many agents, 1 to 8.</param>
    public sealed record StartRequest(string? Workflow, int? Agents);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api/executions");
        api.MapPost("/", (StartRequest? request, WorkflowEngine engine) =>
        {
            if (request?.Agents is < 1 or > 8)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid_field", detail: "\"agents\" must be from 1 to 8.");
            }

            if (request?.Workflow is { Length: 0 or > 64 })
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "invalid_field", detail: "\"workflow\" must be 1 to 64 characters.");
            }

            var execution = engine.Start(request?.Workflow, request?.Agents);
            return Results.Accepted($"/api/executions/{execution.Id}", execution);
        });
        api.MapPost("/{id}/cancel", (string id, WorkflowEngine engine) => engine.Cancel(id) switch
        {
            null => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "unknown_execution", detail: $"There is no execution '{id}'."),
            false => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "already_finished", detail: $"Execution '{id}' has already finished."),
            true => Results.Accepted($"/api/executions/{id}", engine.Get(id)),
        });
        api.MapGet("/", (WorkflowEngine engine) => Results.Ok(engine.List()));
        api.MapGet("/{id}", (string id, WorkflowEngine engine) => engine.Get(id) is { } execution
            ? Results.Ok(execution)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "unknown_execution", detail: $"There is no execution '{id}'."));
    }
}
