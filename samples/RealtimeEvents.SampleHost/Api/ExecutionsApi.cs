using RealtimeEvents.SampleHost.Engine;

namespace RealtimeEvents.SampleHost.Api;

/// <summary>
/// The executions API the dashboard calls: start, cancel, list, one. With several nodes on one event log, a node starts
/// and cancels only the executions its own engine runs (cancelling another node's execution is a 404 that says so). The
/// list and <c>GET /{id}</c> show every execution in the log, as the <see cref="ExecutionProjection"/> knows them, and this
/// node's own executions as its engine knows them, which is never behind the log (an execution just started is listed
/// even before its first event is published).
/// </summary>
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
        api.MapPost("/{id}/cancel", (string id, WorkflowEngine engine, ExecutionProjection projection) => engine.Cancel(id) switch
        {
            null when projection.Get(id) is not null => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "unknown_execution",
                detail: $"Execution '{id}' runs on another node: cancel it on the node that runs it."),
            null => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "unknown_execution", detail: $"There is no execution '{id}'."),
            false => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "already_finished", detail: $"Execution '{id}' has already finished."),
            true => Results.Accepted($"/api/executions/{id}", engine.Get(id)),
        });
        api.MapGet("/", (WorkflowEngine engine, ExecutionProjection projection) => Results.Ok(List(engine, projection)));
        api.MapGet("/{id}", (string id, WorkflowEngine engine, ExecutionProjection projection) => (engine.Get(id) ?? projection.Get(id)) is { } execution
            ? Results.Ok(execution)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "unknown_execution", detail: $"There is no execution '{id}'."));
    }

    /// <summary>Every execution, newest first: this node's from its engine, the others from the projection.</summary>
    private static List<ExecutionState> List(WorkflowEngine engine, ExecutionProjection projection)
    {
        var own = engine.List();
        var ids = own.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var all = own.Concat(projection.Read().Executions.Where(e => !ids.Contains(e.Id))).ToList();
        all.Sort(ExecutionIds.NewestFirst);
        return all;
    }
}
