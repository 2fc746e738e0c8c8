using RealtimeEvents.Testing;

namespace RealtimeEvents.Reliability.Tests.NodeLoss;

/// <summary>
/// Reads <c>GET /health</c> of every node that is up, four times a second, for the whole run: a node that is up must
/// answer <c>Healthy</c> every time, whatever happened to the other (its broker connection and dispatcher are its own).
/// </summary>
internal sealed class NodeHealthWatch(NodeSet nodes, TimeSpan stepTimeout)
{
    private readonly Lock _gate = new();
    private readonly List<string> _failures = [];

    /// <summary>Healthy answers from a node while another node was down.</summary>
    public int HealthyWhileAnotherWasDown { get; private set; }

    public int Readings { get; private set; }

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = stepTimeout };
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var live = nodes.Live();
                var anotherDown = live.Count < nodes.Count;
                foreach (var node in live)
                {
                    string answer;
                    try
                    {
                        using var response = await http.GetAsync(new Uri(node.BaseAddress, "health"), cancellationToken).WithTimeout(stepTimeout);
                        answer = await response.Content.ReadAsStringAsync(cancellationToken).WithTimeout(stepTimeout);
                    }
                    catch (Exception ex) when ((ex is HttpRequestException or TimeoutException or OperationCanceledException) && !cancellationToken.IsCancellationRequested)
                    {
                        answer = $"{ex.GetType().Name}: {ex.Message}";
                    }

                    if (cancellationToken.IsCancellationRequested)
                    {
                        return;
                    }

                    Readings++;
                    if (answer == "Healthy")
                    {
                        HealthyWhileAnotherWasDown += anotherDown ? 1 : 0;
                    }
                    else if (!node.Killed)
                    {
                        lock (_gate)
                        {
                            _failures.Add($"node {node.Name}, which is up, answered /health with '{answer}'");
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the run is over
        }
    }
}
